//! Back up and restore what a Docker Desktop reset would wipe: the stack's
//! volumes (qBittorrent's config with its torrents and resume data, the
//! gateway's) and the settings file. No secret is in a backup: they stay in
//! the keychain. The volumes are read and written through the engine's
//! archive API (`StackManager::read_volumes`, `restore_volumes`), with no
//! helper image.
//!
//! A backup is one `.tar.gz`:
//! - `torrent-vpn-backup/manifest.json`: the format, when, the profile and
//!   each volume's size;
//! - `torrent-vpn-backup/settings.toml`: the settings file as it was;
//! - `torrent-vpn-backup/volumes/<volume>.tar`: the engine's tar stream of
//!   each volume.

pub mod schedule;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::paths::AppPaths;
use crate::settings::Settings;
use crate::stack::{StackError, StackManager};

/// The one format written; a newer one is refused by name.
pub const FORMAT: u32 = 1;
const ROOT: &str = "torrent-vpn-backup";
/// The replaced settings file is kept beside it under this name.
pub const SETTINGS_BEFORE_RESTORE: &str = "settings.toml.before-restore";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Stack(#[from] StackError),
    #[error("cannot write the backup {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the backup {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{path} is not a Torrent VPN backup: {reason}")]
    NotABackup { path: PathBuf, reason: String },
    #[error("the backup's settings are not usable ({0}); nothing was restored")]
    Settings(String),
    #[error("cannot replace the settings file {path}: {source}")]
    SettingsWrite {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One volume in a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeEntry {
    pub name: String,
    /// The size of its tar stream.
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// When it was made (ms since the epoch).
    pub created_ms: u64,
    pub profile: String,
    pub volumes: Vec<VolumeEntry>,
}

/// A backup in memory.
#[derive(Debug)]
pub struct Backup {
    pub manifest: Manifest,
    pub settings: String,
    /// `(volume, the engine's tar stream of it)`.
    pub volumes: Vec<(String, Vec<u8>)>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Read the settings file and the stack's volumes (running or not).
pub async fn create(paths: &AppPaths) -> Result<Backup, BackupError> {
    let manager = StackManager::open(paths).await?;
    create_with(&manager, paths).await
}

/// The same through a manager already open on `paths`' settings.
pub async fn create_with(manager: &StackManager, paths: &AppPaths) -> Result<Backup, BackupError> {
    let file = paths.settings_file();
    let settings = std::fs::read_to_string(&file).map_err(|e| BackupError::Read {
        path: file.clone(),
        reason: e.to_string(),
    })?;
    let volumes = manager.read_volumes().await?;
    let manifest = Manifest {
        format: FORMAT,
        created_ms: now_ms(),
        profile: manager.settings().profile.clone(),
        volumes: volumes
            .iter()
            .map(|(name, tar)| VolumeEntry {
                name: name.clone(),
                bytes: tar.len() as u64,
            })
            .collect(),
    };
    Ok(Backup {
        manifest,
        settings,
        volumes,
    })
}

/// Write `backup` as a gzip'd tar at `path` (mode 0600 on Unix; written
/// to a temporary file first, so a failure leaves no half backup).
pub fn write(backup: &Backup, path: &Path) -> Result<(), BackupError> {
    let failed = |source| BackupError::Write {
        path: path.to_path_buf(),
        source,
    };
    let manifest = serde_json::to_vec_pretty(&backup.manifest)
        .map_err(|e| failed(std::io::Error::other(e)))?;
    let mut entries = vec![
        (format!("{ROOT}/manifest.json"), manifest.as_slice()),
        (format!("{ROOT}/settings.toml"), backup.settings.as_bytes()),
    ];
    for (name, bytes) in &backup.volumes {
        entries.push((format!("{ROOT}/volumes/{name}.tar"), bytes.as_slice()));
    }
    let mtime = backup.manifest.created_ms / 1000;
    crate::tgz::write(path, entries, mtime, flate2::Compression::fast()).map_err(failed)
}

/// Read a backup written by [`write`]; anything else is refused with the
/// reason, before anything changes.
pub fn read(path: &Path) -> Result<Backup, BackupError> {
    let not_a_backup = |reason: String| BackupError::NotABackup {
        path: path.to_path_buf(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| BackupError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let (mut manifest, mut settings, mut volumes) = (None, None, Vec::new());
    let entries = archive
        .entries()
        .map_err(|e| not_a_backup(format!("not a gzipped tar ({e})")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| not_a_backup(format!("a damaged archive ({e})")))?;
        let name = entry
            .path()
            .map_err(|e| not_a_backup(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| not_a_backup(format!("a damaged archive ({e})")))?;
        let Some(inner) = name.strip_prefix(&format!("{ROOT}/")) else {
            return Err(not_a_backup(format!("{name} is outside {ROOT}/")));
        };
        match inner {
            "manifest.json" => {
                manifest = Some(
                    serde_json::from_slice::<Manifest>(&bytes)
                        .map_err(|e| not_a_backup(format!("manifest.json: {e}")))?,
                );
            }
            "settings.toml" => {
                settings = Some(
                    String::from_utf8(bytes)
                        .map_err(|_| not_a_backup("settings.toml is not text".to_owned()))?,
                );
            }
            other => match other
                .strip_prefix("volumes/")
                .and_then(|v| v.strip_suffix(".tar"))
            {
                Some(volume) if !volume.is_empty() && !volume.contains('/') => {
                    volumes.push((volume.to_owned(), bytes));
                }
                _ => return Err(not_a_backup(format!("unexpected file {name}"))),
            },
        }
    }
    let manifest = manifest.ok_or_else(|| not_a_backup("no manifest.json".to_owned()))?;
    if manifest.format != FORMAT {
        return Err(not_a_backup(format!(
            "format {} (this version reads format {FORMAT})",
            manifest.format
        )));
    }
    let settings = settings.ok_or_else(|| not_a_backup("no settings.toml".to_owned()))?;
    for v in &manifest.volumes {
        let found = volumes.iter().find(|(n, _)| *n == v.name);
        if found.is_none_or(|(_, b)| b.len() as u64 != v.bytes) {
            return Err(not_a_backup(format!(
                "the volume {} is missing or cut short",
                v.name
            )));
        }
    }
    Ok(Backup {
        manifest,
        settings,
        volumes,
    })
}

/// What a restore of `backup` replaces, one line each, for the user to
/// read before anything changes.
pub fn plan(backup: &Backup, paths: &AppPaths) -> Vec<String> {
    let mut lines = Vec::new();
    let file = paths.settings_file();
    let current = std::fs::read_to_string(&file).ok();
    lines.push(match current {
        Some(text) if text == backup.settings => {
            format!("settings: {} stays as it is (the same)", file.display())
        }
        Some(_) => format!(
            "settings: {} replaced by the backup's (the current one kept as {SETTINGS_BEFORE_RESTORE})",
            file.display()
        ),
        None => format!("settings: {} written from the backup", file.display()),
    });
    for v in &backup.manifest.volumes {
        lines.push(format!(
            "volume {}: emptied and filled from the backup ({} KB)",
            v.name,
            v.bytes.div_ceil(1000)
        ));
    }
    lines
}

/// Put `backup` back: the settings file first (the current one kept as
/// [`SETTINGS_BEFORE_RESTORE`] when it differs), then each volume, with
/// the stack disconnected (refused otherwise, before anything changes).
pub async fn restore(paths: &AppPaths, backup: &Backup) -> Result<(), BackupError> {
    let restored = Settings::from_toml_str(&backup.settings)
        .map_err(|e| BackupError::Settings(e.to_string()))?;
    if restored.profile != backup.manifest.profile {
        return Err(BackupError::Settings(format!(
            "profile {:?} in its settings, {:?} in its manifest",
            restored.profile, backup.manifest.profile
        )));
    }
    let file = paths.settings_file();
    // The stack as the current settings know it must not exist: checked
    // before the settings change.
    if file.exists() {
        StackManager::open(paths).await?.check_absent().await?;
    }
    let current = std::fs::read_to_string(&file).ok();
    if current.as_deref() != Some(backup.settings.as_str()) {
        let write_failed = |source| BackupError::SettingsWrite {
            path: file.clone(),
            source,
        };
        if let Some(text) = &current {
            crate::settings::write_atomic(
                &paths.config_dir().join(SETTINGS_BEFORE_RESTORE),
                text.as_bytes(),
            )
            .map_err(write_failed)?;
        }
        std::fs::create_dir_all(paths.config_dir()).map_err(write_failed)?;
        crate::settings::write_atomic(&file, backup.settings.as_bytes()).map_err(write_failed)?;
    }
    StackManager::open(paths)
        .await?
        .restore_volumes(&backup.volumes)
        .await?;
    Ok(())
}

/// The default file name: `torrent-vpn-backup-<unix seconds>.tar.gz`.
pub fn default_name() -> String {
    format!("torrent-vpn-backup-{}.tar.gz", now_ms() / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Backup {
        Backup {
            manifest: Manifest {
                format: FORMAT,
                created_ms: 1_700_000_000_000,
                profile: "default".to_owned(),
                volumes: vec![VolumeEntry {
                    name: "p_qbittorrent-config".to_owned(),
                    bytes: 3,
                }],
            },
            settings: "profile = \"default\"\n".to_owned(),
            volumes: vec![("p_qbittorrent-config".to_owned(), vec![1, 2, 3])],
        }
    }

    #[test]
    fn a_backup_reads_back_as_it_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.tar.gz");
        let b = sample();
        write(&b, &path).unwrap();
        let r = read(&path).unwrap();
        assert_eq!(r.manifest, b.manifest);
        assert_eq!(r.settings, b.settings);
        assert_eq!(r.volumes, b.volumes);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the user reads the backup");
        }
    }

    #[test]
    fn a_file_that_is_no_backup_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.tar.gz");
        std::fs::write(&path, b"not an archive").unwrap();
        let e = read(&path).unwrap_err().to_string();
        assert!(e.contains("is not a Torrent VPN backup"), "{e}");

        // A volume cut short.
        let mut b = sample();
        b.manifest.volumes[0].bytes = 4;
        write(&b, &path).unwrap();
        let e = read(&path).unwrap_err().to_string();
        assert!(e.contains("missing or cut short"), "{e}");

        // A newer format.
        let mut b = sample();
        b.manifest.format = FORMAT + 1;
        write(&b, &path).unwrap();
        let e = read(&path).unwrap_err().to_string();
        assert!(e.contains("this version reads format 1"), "{e}");

        let e = read(&dir.path().join("missing.tar.gz"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.tar.gz"), "{e}");
    }

    #[test]
    fn the_plan_names_the_settings_and_each_volume() {
        let dir = tempfile::tempdir().unwrap();
        let paths = AppPaths::in_dir(dir.path().to_path_buf());
        let b = sample();
        let lines = plan(&b, &paths);
        assert!(lines[0].contains("written from the backup"), "{lines:?}");
        assert!(
            lines[1].starts_with("volume p_qbittorrent-config: emptied"),
            "{lines:?}"
        );
        std::fs::write(paths.settings_file(), &b.settings).unwrap();
        assert!(plan(&b, &paths)[0].contains("stays as it is"));
        std::fs::write(paths.settings_file(), "profile = \"other\"\n").unwrap();
        assert!(plan(&b, &paths)[0].contains(SETTINGS_BEFORE_RESTORE));
    }

    #[tokio::test]
    async fn unusable_settings_in_a_backup_restore_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let paths = AppPaths::in_dir(dir.path().to_path_buf());
        std::fs::write(paths.settings_file(), "profile = \"mine\"\n").unwrap();
        let mut b = sample();
        b.settings = "vpn = 3\n".to_owned();
        let e = restore(&paths, &b).await.unwrap_err().to_string();
        assert!(e.contains("nothing was restored"), "{e}");
        assert_eq!(
            std::fs::read_to_string(paths.settings_file()).unwrap(),
            "profile = \"mine\"\n"
        );
        assert!(!dir.path().join(SETTINGS_BEFORE_RESTORE).exists());
    }
}
