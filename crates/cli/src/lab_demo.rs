//! `tvpn lab-demo` (hidden; `lab` feature only): the test lab's demo
//! profile, made by the core from the lab's state folder and written to the
//! config dir with its keys in the keychain, all or nothing. `scripts/lab
//! up` runs it with `--config-dir lab/.state/demo-config`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use tvpn_core::paths::AppPaths;
use tvpn_core::secrets::{KeyringStore, SecretStore};
use tvpn_core::settings::demo::{self, LabState};

#[derive(Args)]
pub struct LabDemoArgs {
    /// The lab's state folder (`lab/.state`): its keys and the demo's
    /// downloads folder.
    #[arg(long, value_name = "DIR")]
    state_dir: PathBuf,
    /// Write the settings only and leave the keychain alone.
    #[arg(long)]
    no_keychain: bool,
}

pub async fn run(paths: &AppPaths, args: LabDemoArgs) -> anyhow::Result<()> {
    let file = paths.settings_file();
    let store: Option<Arc<dyn SecretStore>> = if args.no_keychain {
        None
    } else {
        Some(Arc::new(KeyringStore::open()?))
    };
    let lab = LabState::new(args.state_dir);
    let target = file.clone();
    let done = tokio::task::spawn_blocking(move || demo::write(&lab, &target, store.as_deref()))
        .await
        .context("the demo profile task failed")??;
    println!(
        "{} {} (profile {:?}); {} key(s) stored in the keychain",
        if done.settings_written {
            "wrote"
        } else {
            "unchanged:"
        },
        file.display(),
        demo::PROFILE,
        done.secrets_stored
    );
    Ok(())
}
