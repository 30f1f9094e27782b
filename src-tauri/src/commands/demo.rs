//! "Try the demo": the lab's VPN on this machine's Docker engine.
//!
//! As with `scripts/run`: the demo is offered when the app was started with
//! `TVPN_DEMO=1` or when the lab is up (`scripts/lab up` has written its
//! demo profile, `lab/.state/demo-config/settings.toml` in the repository),
//! and never with `TVPN_DEMO=0`. Trying it writes the same profile, made by
//! the core from the lab's state folder (its fresh keys), into the app's
//! settings file, and the lab's keys into the keychain under the profile
//! `lab-demo`, all or nothing. With `TVPN_DEMO=1` and the lab not up yet,
//! the lab is started first (`scripts/lab up`, which builds what is missing).

use std::path::{Path, PathBuf};

use tvpn_core::secrets::SecretStore;

use super::settings_form::DemoOffer;
use super::CommandError;

/// Where the demo comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSource {
    /// The repository (with `scripts/lab`).
    pub repo_root: PathBuf,
    /// The lab's state folder (`lab/.state`): its keys, and its own demo
    /// profile once it is up.
    pub state_dir: PathBuf,
    /// The lab's demo profile, there once the lab is up.
    pub settings_file: PathBuf,
    /// `TVPN_DEMO`: `1` offers it (and may start the lab), `0` never.
    pub demo_env: Option<String>,
}

impl DemoSource {
    /// The repository the app was built from, and `TVPN_DEMO`.
    /// `TVPN_LAB_STATE` names another lab state folder (for tests).
    pub fn from_env() -> Self {
        let repo_root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let mut source = Self::in_repo(repo_root, std::env::var("TVPN_DEMO").ok());
        if let Some(dir) = std::env::var_os("TVPN_LAB_STATE").filter(|d| !d.is_empty()) {
            source = source.with_state_dir(PathBuf::from(dir));
        }
        source
    }

    pub fn in_repo(repo_root: PathBuf, demo_env: Option<String>) -> Self {
        let state_dir = repo_root.join("lab/.state");
        Self {
            settings_file: lab_profile(&state_dir),
            state_dir,
            repo_root,
            demo_env,
        }
    }

    /// The same, with the lab's state in `state_dir`.
    pub fn with_state_dir(self, state_dir: PathBuf) -> Self {
        Self {
            settings_file: lab_profile(&state_dir),
            state_dir,
            ..self
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

/// The demo profile `scripts/lab up` writes into the lab's state folder.
fn lab_profile(state_dir: &Path) -> PathBuf {
    state_dir.join("demo-config").join("settings.toml")
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

/// Writes the demo profile for the lab into `settings_file` (which must
/// not exist yet) and its keys into `store`, once the lab is up.
pub fn adopt(
    source: &DemoSource,
    settings_file: &Path,
    store: &dyn SecretStore,
) -> Result<(), CommandError> {
    #[cfg(not(feature = "lab"))]
    {
        let _ = (source, settings_file, store);
        Err(CommandError::msg(
            "this build of Torrent VPN has no demo (the test lab is not part of it)",
        ))
    }
    #[cfg(feature = "lab")]
    {
        if settings_file.exists() {
            return Err(CommandError::msg(format!(
                "{} exists already: the demo is only offered before the first setup",
                settings_file.display()
            )));
        }
        if !source.settings_file.is_file() {
            return Err(CommandError::msg(format!(
                "the lab is not up ({} is missing): run ./scripts/lab up (or start the app \
                 with TVPN_DEMO=1)",
                source.settings_file.display()
            )));
        }
        let lab = tvpn_core::settings::demo::LabState::new(&source.state_dir);
        tvpn_core::settings::demo::write(&lab, settings_file, Some(store))
            .map(|_| ())
            .map_err(|e| CommandError::msg(format!("the demo profile: {e}")))
    }
}
