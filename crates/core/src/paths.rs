//! Where the app keeps its files.
//!
//! The config dir holds `settings.toml` and nothing secret. It is the platform
//! config dir (`~/Library/Application Support/dev.torrentvpn.TorrentVPN` on
//! macOS, `$XDG_CONFIG_HOME/torrent-vpn` on Linux) unless `TVPN_CONFIG_DIR`
//! names another one; the lab's demo profile uses that.

use std::path::{Path, PathBuf};

/// Environment variable that overrides the config dir.
pub const CONFIG_DIR_ENV: &str = "TVPN_CONFIG_DIR";

/// The app's directories for one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPaths {
    config_dir: PathBuf,
    log_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    #[error("no home directory could be found; set {CONFIG_DIR_ENV} to choose a config dir")]
    NoHome,
    #[error("{CONFIG_DIR_ENV} must be an absolute path, got {0:?}")]
    Relative(PathBuf),
}

impl AppPaths {
    /// Resolve from an explicit override (a CLI flag), then `TVPN_CONFIG_DIR`,
    /// then the platform default.
    pub fn resolve(explicit: Option<&Path>) -> Result<Self, PathsError> {
        let from_env = std::env::var_os(CONFIG_DIR_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let dirs = directories::ProjectDirs::from("dev", "torrentvpn", "TorrentVPN");
        let chosen = explicit.map(Path::to_path_buf).or(from_env);
        match chosen {
            Some(dir) => {
                let dir = if dir.is_absolute() {
                    dir
                } else {
                    std::env::current_dir()
                        .map(|cwd| cwd.join(&dir))
                        .map_err(|_| PathsError::Relative(dir))?
                };
                Ok(Self::in_dir(dir))
            }
            None => {
                let dirs = dirs.ok_or(PathsError::NoHome)?;
                let log_dir = dirs
                    .state_dir()
                    .unwrap_or_else(|| dirs.data_local_dir())
                    .join("logs");
                Ok(Self {
                    config_dir: dirs.config_dir().to_path_buf(),
                    log_dir: platform_log_dir().unwrap_or(log_dir),
                })
            }
        }
    }

    /// Paths rooted in one directory (used for overrides and tests): settings
    /// in it, logs in `logs/` below it.
    pub fn in_dir(dir: PathBuf) -> Self {
        Self {
            log_dir: dir.join("logs"),
            config_dir: dir,
        }
    }

    pub fn config_dir(&self) -> &Path {
        &self.config_dir
    }

    pub fn settings_file(&self) -> PathBuf {
        self.config_dir.join("settings.toml")
    }

    pub fn log_dir(&self) -> &Path {
        &self.log_dir
    }
}

#[cfg(target_os = "macos")]
fn platform_log_dir() -> Option<PathBuf> {
    directories::BaseDirs::new()
        .map(|b| b.home_dir().join("Library/Logs/dev.torrentvpn.TorrentVPN"))
}

#[cfg(not(target_os = "macos"))]
fn platform_log_dir() -> Option<PathBuf> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_dir_holds_settings_and_logs() {
        let p = AppPaths::resolve(Some(Path::new("/tmp/tvpn-x"))).unwrap();
        assert_eq!(
            p.settings_file(),
            PathBuf::from("/tmp/tvpn-x/settings.toml")
        );
        assert_eq!(p.log_dir(), Path::new("/tmp/tvpn-x/logs"));
    }
}
