//! Daily backups (`[backup] daily = true`): while the app or `tvpn watch`
//! runs, one backup a day into the backups folder, the newest
//! `backup.keep` kept. The session asks [`next_due`] once when it opens and
//! runs [`run`] when that moment comes.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::paths::AppPaths;
use crate::settings::Settings;
use crate::stack::StackManager;

use super::BackupError;

/// One backup a day.
pub const PERIOD: Duration = Duration::from_secs(24 * 3600);

const PREFIX: &str = "torrent-vpn-backup-";
const SUFFIX: &str = ".tar.gz";

/// The backups in `dir` (the names [`super::default_name`] gives), newest
/// first, each with its time (from its name).
pub fn backups_in(dir: &Path) -> Vec<(PathBuf, SystemTime)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(PathBuf, SystemTime)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let secs: u64 = name
                .to_str()?
                .strip_prefix(PREFIX)?
                .strip_suffix(SUFFIX)?
                .parse()
                .ok()?;
            Some((e.path(), UNIX_EPOCH + Duration::from_secs(secs)))
        })
        .collect();
    found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    found
}

/// When the next backup is due: now when there is none yet, else a
/// [`PERIOD`] after the newest (never later than that from now, whatever
/// a clock set back says).
pub fn next_due(newest: Option<SystemTime>, now: SystemTime) -> SystemTime {
    match newest {
        None => now,
        Some(at) => {
            let after = at + PERIOD;
            if after > now + PERIOD {
                now + PERIOD
            } else {
                after
            }
        }
    }
}

/// The backups beyond the newest `keep` (`backups` newest first).
pub fn beyond(backups: &[(PathBuf, SystemTime)], keep: usize) -> Vec<PathBuf> {
    backups.iter().skip(keep).map(|(p, _)| p.clone()).collect()
}

/// The folder daily backups go to: `backup.dir`, or `backups` in the
/// app's config folder.
pub fn folder(settings: &Settings, paths: &AppPaths) -> PathBuf {
    settings
        .backup
        .dir
        .clone()
        .unwrap_or_else(|| paths.config_dir().join("backups"))
}

/// What a scheduled backup did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled {
    pub path: PathBuf,
    /// Older backups removed to keep `backup.keep`.
    pub removed: Vec<PathBuf>,
}

/// Write a backup into the folder (made, private to the user, when
/// missing), then remove the ones beyond `backup.keep`.
pub async fn run(manager: &StackManager, paths: &AppPaths) -> Result<Scheduled, BackupError> {
    let dir = folder(manager.settings(), paths);
    make_private_dir(&dir).map_err(|source| BackupError::Write {
        path: dir.clone(),
        source,
    })?;
    let backup = super::create_with(manager, paths).await?;
    let path = dir.join(super::default_name());
    super::write(&backup, &path)?;
    let keep = usize::try_from(manager.settings().backup.keep).unwrap_or(usize::MAX);
    let mut removed = Vec::new();
    for old in beyond(&backups_in(&dir), keep) {
        match std::fs::remove_file(&old) {
            Ok(()) => removed.push(old),
            Err(e) => {
                tracing::warn!(path = %old.display(), error = %e, "an old backup could not be removed")
            }
        }
    }
    Ok(Scheduled { path, removed })
}

fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn only_the_apps_backups_count_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "torrent-vpn-backup-1700000000.tar.gz",
            "torrent-vpn-backup-1700086400.tar.gz",
            "torrent-vpn-backup-999.tar.gz",
            "torrent-vpn-backup-x.tar.gz",
            "notes.txt",
            "torrent-vpn-backup-1700000001.tar",
        ] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        let found = backups_in(dir.path());
        let names: Vec<_> = found
            .iter()
            .map(|(p, _)| p.file_name().unwrap().to_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            names,
            [
                "torrent-vpn-backup-1700086400.tar.gz",
                "torrent-vpn-backup-1700000000.tar.gz",
                "torrent-vpn-backup-999.tar.gz"
            ]
        );
        assert_eq!(found[0].1, at(1_700_086_400));
        assert_eq!(
            beyond(&found, 2),
            [dir.path().join("torrent-vpn-backup-999.tar.gz")]
        );
        assert!(beyond(&found, 7).is_empty());
        assert!(backups_in(&dir.path().join("missing")).is_empty());
    }

    #[test]
    fn a_backup_is_due_a_day_after_the_newest() {
        let now = at(1_800_000_000);
        assert_eq!(next_due(None, now), now, "none yet: now");
        let newest = now - Duration::from_secs(3600);
        assert_eq!(next_due(Some(newest), now), newest + PERIOD);
        let old = now - 3 * PERIOD;
        assert_eq!(next_due(Some(old), now), old + PERIOD, "overdue: at once");
        // A backup from the future (a clock set back) waits a day at most.
        let future = now + 10 * PERIOD;
        assert_eq!(next_due(Some(future), now), now + PERIOD);
    }
}
