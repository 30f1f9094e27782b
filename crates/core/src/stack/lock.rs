//! One writer across processes: an advisory lock per profile, taken for
//! connect, disconnect, reconcile (and so healing) and the Web UI password,
//! so that the app's healer never removes a gateway a concurrent `tvpn
//! connect` has just created, and two connects never interleave.

use std::fs::File;
use std::path::{Path, PathBuf};

/// Held while the lock is; released when dropped (or the process ends).
#[derive(Debug)]
pub struct ProfileLock(#[allow(dead_code)] File);

/// The lock file of a profile: in the user's temporary folder, by user and
/// profile, so every process of this user driving the profile shares it.
pub fn path_for(profile: &str) -> PathBuf {
    #[cfg(unix)]
    // SAFETY: getuid has no preconditions and cannot fail.
    let user = unsafe { libc::getuid() }.to_string();
    #[cfg(not(unix))]
    let user = std::env::var("USERNAME").unwrap_or_default();
    std::env::temp_dir().join(format!("torrent-vpn-{user}-{profile}.lock"))
}

/// Wait for the lock of `path` (blocking).
pub fn acquire(path: &Path) -> std::io::Result<ProfileLock> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        loop {
            // SAFETY: flock on a descriptor this function owns.
            let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
            if rc == 0 {
                break;
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
    Ok(ProfileLock(file))
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
        drop(first);
        waiter.join().unwrap();
        assert!(got.load(Ordering::SeqCst));
    }
}
