//! One writer across processes: an advisory lock per profile, taken for
//! connect, disconnect, reconcile (and so healing) and the Web UI password,
//! so that the app's healer never removes a gateway a concurrent `tvpn
//! connect` has just created, and two connects never interleave.

use std::fs::File;
use std::path::{Path, PathBuf};

/// Held while the lock is; released when dropped (or the process ends).
#[derive(Debug)]
pub struct ProfileLock(#[allow(dead_code)] File);

/// The lock file of a profile: in the user's cache folder (per user), by
/// profile, so every process of this user driving the profile shares it,
/// whatever config dir it was given.
pub fn path_for(profile: &str) -> PathBuf {
    let base = directories::BaseDirs::new()
        .map_or_else(std::env::temp_dir, |b| b.cache_dir().to_path_buf());
    base.join("torrent-vpn").join(format!("{profile}.lock"))
}

/// Wait for the lock of `path` (blocking).
pub fn acquire(path: &Path) -> std::io::Result<ProfileLock> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let file = options.open(path)?;
    // flock(2) on Unix, LockFileEx on Windows: released when the file is
    // closed, also when the process dies.
    file.lock()?;
    Ok(ProfileLock(file))
}

/// Whether some process holds the lock of `path` now.
pub fn is_held(path: &Path) -> bool {
    let Ok(file) = std::fs::OpenOptions::new().read(true).open(path) else {
        return false;
    };
    match file.try_lock() {
        Ok(()) => false,
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(std::fs::TryLockError::Error(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn a_second_holder_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.lock");
        let first = acquire(&path).unwrap();
        let got = Arc::new(AtomicBool::new(false));
        let (p, g) = (path.clone(), Arc::clone(&got));
        let waiter = std::thread::spawn(move || {
            let _second = acquire(&p).unwrap();
            g.store(true, Ordering::SeqCst);
        });
        std::thread::sleep(Duration::from_millis(300));
        assert!(!got.load(Ordering::SeqCst), "the lock was taken twice");
        assert!(is_held(&path));
        drop(first);
        waiter.join().unwrap();
        assert!(got.load(Ordering::SeqCst));
    }
}
