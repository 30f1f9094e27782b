//! "Install Command Line Tool…": links the `tvpn` shipped inside the app
//! into `/usr/local/bin` ([`CliLink`] plans it in the core), asking for an
//! administrator's password where the folder needs one (macOS).

use std::path::Path;

use tvpn_core::install::{CliLink, Install, InstallError, CLI_LINK};

use crate::platform;

/// What to tell the user: done (and where), or why not.
pub fn install() -> Result<String, String> {
    let install = Install::current().map_err(|e| e.to_string())?;
    let plan = CliLink::plan(
        &install,
        Path::new(CLI_LINK),
        |p| std::fs::read_link(p).ok(),
        |p| p.symlink_metadata().is_ok(),
    )
    .map_err(|e| e.to_string())?;
    match plan.apply() {
        Ok(()) => Ok(plan.done()),
        Err(InstallError::NeedsAdmin { link, cli }) => match platform::link_as_admin(&cli, &link) {
            Some(Ok(())) => Ok(plan.done()),
            Some(Err(e)) => Err(e),
            None => Err(InstallError::NeedsAdmin { link, cli }.to_string()),
        },
        Err(e) => Err(e.to_string()),
    }
}
