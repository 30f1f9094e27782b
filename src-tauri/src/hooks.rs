//! Test-only hooks, in builds with the `lab` feature (never in a release
//! build) and active only when `TVPN_TEST_HOOKS=<dir>` is set: the app
//! writes the menu model it applied to `<dir>/menu.json` after each apply
//! (and appends it to `<dir>/menu-history.jsonl`),
//! and reads menu item ids from `<dir>/command` (one per line; the file is
//! removed once read), handling each exactly like a click on that item
//! (unless `TVPN_TEST_HOOKS_COMMANDS=0`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::runtime::{Event, Runtime};

pub const ENV: &str = "TVPN_TEST_HOOKS";
/// `0`: the menu models are written, but no command file is watched (the
/// bench measures the app without the poll a release build has not).
pub const COMMANDS_ENV: &str = "TVPN_TEST_HOOKS_COMMANDS";
const COMMAND_FILE: &str = "command";
const POLL: Duration = Duration::from_millis(200);

#[derive(Debug, Clone)]
pub struct Hooks {
    dir: PathBuf,
}

impl Hooks {
    pub fn from_env() -> Option<Self> {
        Self::from_dir(std::env::var_os(ENV).as_deref())
    }

    /// The hooks for `dir` (the value of `TVPN_TEST_HOOKS`), in a build
    /// with the `lab` feature only.
    pub fn from_dir(dir: Option<&std::ffi::OsStr>) -> Option<Self> {
        if !cfg!(feature = "lab") {
            return None;
        }
        let dir = PathBuf::from(dir.filter(|v| !v.is_empty())?);
        if let Err(e) = private_dir(&dir) {
            tracing::warn!(dir = %dir.display(), error = %e, "test hooks: cannot use the dir");
            return None;
        }
        tracing::warn!(dir = %dir.display(), "test hooks are on ({ENV})");
        Some(Self { dir })
    }

    /// Whether the command file is watched (unless `COMMANDS_ENV` is `0`).
    pub fn commands_wanted() -> bool {
        std::env::var_os(COMMANDS_ENV).is_none_or(|v| v != "0")
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Write `name` in the hook dir atomically (readers never see half a file).
    pub fn write_json(&self, name: &str, value: &impl Serialize) {
        let path = self.dir.join(name);
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let text = match serde_json::to_string_pretty(value) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "test hooks: cannot serialise {name}");
                return;
            }
        };
        let written = open_no_follow(&tmp, false)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = written {
            tracing::warn!(error = %e, "test hooks: cannot write {}", path.display());
        }
    }

    /// Append `value` as one JSON line to `name` (a history for the test log).
    pub fn append_json_line(&self, name: &str, value: &impl Serialize) {
        use std::io::Write as _;
        let path = self.dir.join(name);
        let line = match serde_json::to_string(value) {
            Ok(l) => l,
            Err(_) => return,
        };
        let written = open_no_follow(&path, true).and_then(|mut f| writeln!(f, "{line}"));
        if let Err(e) = written {
            tracing::warn!(error = %e, "test hooks: cannot append to {}", path.display());
        }
    }

    /// Menu item ids written to the command file, forever: each handled
    /// exactly like a click on that item.
    pub async fn watch_commands(self, rt: Runtime) {
        let file = self.dir.join(COMMAND_FILE);
        loop {
            tokio::time::sleep(POLL).await;
            let Ok(text) = read_no_follow(&file) else {
                continue;
            };
            let _ = std::fs::remove_file(&file);
            for id in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                tracing::info!(item = id, "test hook: menu item");
                rt.send(Event::Menu(id.to_owned()));
            }
        }
    }
}

/// The hook dir: created owner-only (0700), and refused when it is a link
/// or belongs to another user, so nobody else can drive the menu.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        if let Err(e) = std::fs::DirBuilder::new().mode(0o700).create(dir) {
            if e.kind() != std::io::ErrorKind::AlreadyExists {
                return Err(e);
            }
        }
        let meta = std::fs::symlink_metadata(dir)?;
        // Ours when a file we create in it has the same owner as the dir.
        let probe = tempfile::NamedTempFile::new_in(dir)?;
        let me = probe.as_file().metadata()?.uid();
        if !meta.is_dir() || meta.uid() != me {
            return Err(std::io::Error::other("not a directory of this user"));
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Open for writing without following a link at `path`.
fn open_no_follow(path: &Path, append: bool) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true);
    if append {
        options.append(true);
    } else {
        options.write(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW).mode(0o600);
    }
    options.open(path)
}

fn read_no_follow(path: &Path) -> std::io::Result<String> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut options.open(path)?, &mut text)?;
    Ok(text)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_hook_dir_is_owner_only_and_links_are_not_followed() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("hooks");
        private_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        // A link planted where the app writes is refused, not followed.
        let target = base.path().join("elsewhere");
        std::fs::write(&target, "untouched").unwrap();
        let link = dir.join("menu.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(open_no_follow(&link, false).is_err());
        assert!(read_no_follow(&link).is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched");
        // A link as the hook dir itself is refused.
        let linked_dir = base.path().join("linked");
        std::os::unix::fs::symlink(&dir, &linked_dir).unwrap();
        assert!(private_dir(&linked_dir).is_err());
    }
}
