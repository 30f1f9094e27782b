//! "Try the demo": the lab's VPN on this machine's Docker engine.
//!
//! As with `scripts/run`: the demo is offered when the app was started with
//! `TVPN_DEMO=1` or when the lab has written its demo profile
//! (`lab/.state/demo-config/settings.toml` in the repository), and never
//! with `TVPN_DEMO=0`. Trying it copies that profile into the app's settings
//! file; its secrets are the ones `scripts/lab up` stored in the keychain
//! under the profile `lab-demo`. With `TVPN_DEMO=1` and no demo profile yet,
//! the lab is started first (`scripts/lab up`, which builds what is missing).

use std::path::{Path, PathBuf};

use tvpn_core::secrets::{SecretKind, SecretStore};
use tvpn_core::settings::Settings;

use super::settings_form::DemoOffer;
use super::CommandError;

/// Where the demo comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSource {
    /// The repository (with `scripts/lab`).
    pub repo_root: PathBuf,
    /// The lab's demo profile.
    pub settings_file: PathBuf,
    /// `TVPN_DEMO`: `1` offers it (and may start the lab), `0` never.
    pub demo_env: Option<String>,
}

impl DemoSource {
    /// The repository the app was built from, and `TVPN_DEMO`.
    /// `TVPN_DEMO_CONFIG` names another demo profile dir (for tests).
    pub fn from_env() -> Self {
        let repo_root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let mut source = Self::in_repo(repo_root, std::env::var("TVPN_DEMO").ok());
        if let Some(dir) = std::env::var_os("TVPN_DEMO_CONFIG").filter(|d| !d.is_empty()) {
            source.settings_file = PathBuf::from(dir).join("settings.toml");
        }
        source
    }

    pub fn in_repo(repo_root: PathBuf, demo_env: Option<String>) -> Self {
        Self {
            settings_file: repo_root.join("lab/.state/demo-config/settings.toml"),
            repo_root,
            demo_env,
        }
    }

    fn lab_script(&self) -> PathBuf {
        self.repo_root.join("scripts/lab")
    }

    pub fn offer(&self) -> DemoOffer {
        let ready = self.settings_file.is_file();
        let available = match self.demo_env.as_deref() {
            // The demo is the test lab: not in a release build.
            _ if !cfg!(feature = "lab") => false,
            Some("0") => false,
            Some("1") => ready || self.lab_script().is_file(),
            _ => ready,
        };
        DemoOffer {
            available,
            ready,
            settings_file: self.settings_file.display().to_string(),
        }
    }

    /// True when trying the demo may start the lab itself.
    pub fn may_start_lab(&self) -> bool {
        cfg!(feature = "lab")
            && self.demo_env.as_deref() == Some("1")
            && self.lab_script().is_file()
    }
}

/// `scripts/lab up`: builds the lab images when missing, starts the lab and
/// writes the demo profile and its keychain items.
pub async fn start_lab(source: &DemoSource) -> Result<(), CommandError> {
    tracing::info!("starting the demo lab (scripts/lab up)");
    let out = tokio::process::Command::new(source.lab_script())
        .arg("up")
        .current_dir(&source.repo_root)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| CommandError::msg(format!("scripts/lab up could not start: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<String> = stderr
        .lines()
        .rev()
        .take(8)
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    Err(CommandError {
        message: format!("the demo lab did not start ({})", out.status),
        fields: Vec::new(),
        details: tail,
    })
}

/// Copies the demo profile into `settings_file` (which must not exist yet),
/// once its keys are in the keychain.
pub fn adopt(
    source: &DemoSource,
    settings_file: &Path,
    store: &dyn SecretStore,
) -> Result<(), CommandError> {
    if !cfg!(feature = "lab") {
        return Err(CommandError::msg(
            "this build of Torrent VPN has no demo (the test lab is not part of it)",
        ));
    }
    if settings_file.exists() {
        return Err(CommandError::msg(format!(
            "{} exists already: the demo is only offered before the first setup",
            settings_file.display()
        )));
    }
    let demo = Settings::load(&source.settings_file)
        .map_err(|e| CommandError::msg(format!("the demo profile cannot be read: {e}")))?
        .ok_or_else(|| {
            CommandError::msg(format!(
                "the lab has not written {} yet: run ./scripts/lab up (or start the app with \
                 TVPN_DEMO=1)",
                source.settings_file.display()
            ))
        })?;
    let stored = store
        .get(&demo.profile, SecretKind::WireguardPrivateKey)
        .map_err(|e| CommandError::msg(e.to_string()))?;
    if stored.is_none() {
        return Err(CommandError::msg(format!(
            "the lab's WireGuard key for profile {:?} is not in this keychain: run \
             ./scripts/lab up in the same session as the app (it stores the keys)",
            demo.profile
        )));
    }
    demo.save(settings_file)
        .map_err(|e| CommandError::msg(format!("saving the settings: {e}")))
}
