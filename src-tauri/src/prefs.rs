//! The tray's own preferences: a small JSON file next to `settings.toml`
//! (`tray-prefs.json` in the config dir). They are the app's, not the
//! stack's, so they stay out of the core's settings; they hold no secret.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::runtime::{Event, Runtime};

const FILE_NAME: &str = "tray-prefs.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrayPrefs {
    /// macOS: the download speed next to the menu-bar icon ("↓2.4M").
    pub speed_in_title: bool,
    /// Notify only about leaks; every other event is only logged.
    pub mute_all_but_leaks: bool,
}

impl Default for TrayPrefs {
    fn default() -> Self {
        Self {
            speed_in_title: true,
            mute_all_but_leaks: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PrefsError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

pub fn path(config_dir: &Path) -> PathBuf {
    config_dir.join(FILE_NAME)
}

impl TrayPrefs {
    /// The saved preferences; the defaults when there is no file yet.
    pub fn load(config_dir: &Path) -> Result<Self, PrefsError> {
        let path = path(config_dir);
        match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|source| PrefsError::Parse { path, source })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(PrefsError::Read { path, source }),
        }
    }

    /// Written atomically (a temporary file renamed into place).
    pub fn save(&self, config_dir: &Path) -> Result<(), PrefsError> {
        let path = path(config_dir);
        let write = |source| PrefsError::Write {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(config_dir).map_err(write)?;
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        let tmp = config_dir.join(format!(".{FILE_NAME}.tmp"));
        std::fs::write(&tmp, text).map_err(write)?;
        std::fs::rename(&tmp, &path).map_err(write)
    }
}

/// The tray preferences, for the settings window.
#[tauri::command]
pub fn get_tray_prefs(rt: tauri::State<'_, Runtime>) -> TrayPrefs {
    rt.view().prefs
}

/// Save the tray preferences; the tray applies them at once.
#[tauri::command]
pub fn set_tray_prefs(rt: tauri::State<'_, Runtime>, prefs: TrayPrefs) -> Result<(), String> {
    prefs
        .save(rt.paths().config_dir())
        .map_err(|e| e.to_string())?;
    rt.send(Event::Prefs(prefs));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_a_file_then_round_trip() -> Result<(), PrefsError> {
        let dir = tempfile::tempdir().map_err(|source| PrefsError::Read {
            path: PathBuf::new(),
            source,
        })?;
        assert_eq!(TrayPrefs::load(dir.path())?, TrayPrefs::default());
        let p = TrayPrefs {
            speed_in_title: false,
            mute_all_but_leaks: true,
        };
        p.save(dir.path())?;
        assert_eq!(TrayPrefs::load(dir.path())?, p);
        Ok(())
    }

    #[test]
    fn missing_keys_take_their_default_and_garbage_is_an_error() -> Result<(), PrefsError> {
        let dir = tempfile::tempdir().map_err(|source| PrefsError::Read {
            path: PathBuf::new(),
            source,
        })?;
        std::fs::write(path(dir.path()), r#"{"mute_all_but_leaks": true}"#).map_err(|source| {
            PrefsError::Write {
                path: PathBuf::new(),
                source,
            }
        })?;
        let p = TrayPrefs::load(dir.path())?;
        assert!(p.speed_in_title && p.mute_all_but_leaks);
        std::fs::write(path(dir.path()), "nope").map_err(|source| PrefsError::Write {
            path: PathBuf::new(),
            source,
        })?;
        assert!(matches!(
            TrayPrefs::load(dir.path()),
            Err(PrefsError::Parse { .. })
        ));
        Ok(())
    }
}
