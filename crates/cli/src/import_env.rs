//! `tvpn import-env FILE [--dry-run]`: import a `.env` or wg-quick file.
//! Settings go to the settings file, secrets to the keychain, and in a `.env`
//! file each imported secret's line is replaced by a comment. The plan is
//! printed first; secret values never are.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use tvpn_core::import::{self, Format, ImportContext, ImportError, SystemResolver};
use tvpn_core::paths::AppPaths;
use tvpn_core::secrets::{KeyringStore, Secrets};
use tvpn_core::Settings;

/// Larger files are not `.env` or wg-quick files.
const MAX_FILE_BYTES: u64 = 1 << 20;

pub async fn run(paths: &AppPaths, file: &Path, dry_run: bool) -> anyhow::Result<()> {
    let settings_file = paths.settings_file();
    let existing = Settings::load(&settings_file)
        .context("the current settings are invalid; fix or remove them before importing")?;

    let source = std::path::absolute(file)
        .with_context(|| format!("{}: cannot make the path absolute", file.display()))?;
    let meta =
        std::fs::metadata(&source).with_context(|| format!("reading {}", source.display()))?;
    if !meta.is_file() {
        bail!("{} is not a file", source.display());
    }
    if meta.len() > MAX_FILE_BYTES {
        bail!(
            "{} is {} bytes: too large for a .env or wg-quick file",
            source.display(),
            meta.len()
        );
    }
    let bytes = std::fs::read(&source).with_context(|| format!("reading {}", source.display()))?;

    // Resolving an Endpoint host name blocks.
    let plan_source = source.clone();
    let planned = tokio::task::spawn_blocking(move || {
        let ctx = ImportContext::for_file(existing, &plan_source, &SystemResolver);
        import::plan(&bytes, &ctx)
    })
    .await
    .context("the import task failed")?;
    let plan = match planned {
        Ok(plan) => plan,
        Err(ImportError::Invalid(problems)) => {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            bail!(
                "{} cannot be imported, nothing was changed:\n  {}",
                source.display(),
                lines.join("\n  ")
            );
        }
        Err(e) => bail!("{}: {e}", source.display()),
    };

    print!("{}", plan.render(&source, &settings_file));
    if dry_run {
        println!("\nDry run: nothing was changed.");
        return Ok(());
    }

    let secrets = if plan.secrets.is_empty() {
        None
    } else {
        let store = KeyringStore::open()?;
        Some(Secrets::new(Arc::new(store), plan.profile()))
    };
    let done = import::apply(&plan, &source, &settings_file, secrets.as_ref()).await?;

    println!("\nDone:");
    if let Some(s) = &secrets {
        println!(
            "  stored {} secret(s) in {} for profile {:?}",
            done.secrets_stored,
            s.backend(),
            s.profile()
        );
    }
    if done.settings_saved {
        println!("  saved {}", settings_file.display());
    } else {
        println!("  {} already had these settings", settings_file.display());
    }
    if done.file_rewritten {
        println!(
            "  replaced {} line(s) of {} by a comment",
            plan.scrubbed.len(),
            source.display()
        );
    } else if plan.format == Format::WgQuick {
        println!(
            "  {} was not changed and still holds the private key: delete it once the \
             import works, unless the WireGuard app still uses it",
            source.display()
        );
    }
    Ok(())
}
