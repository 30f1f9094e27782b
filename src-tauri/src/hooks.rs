//! Test-only hooks, active only when `TVPN_TEST_HOOKS=<dir>` is set: the app
//! writes the menu model it applied to `<dir>/menu.json` after each apply
//! (and appends it to `<dir>/menu-history.jsonl`),
//! and reads menu item ids from `<dir>/command` (one per line; the file is
//! removed once read), handling each exactly like a click on that item.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use tauri::AppHandle;

pub const ENV: &str = "TVPN_TEST_HOOKS";
const COMMAND_FILE: &str = "command";
const POLL: Duration = Duration::from_millis(200);

#[derive(Debug, Clone)]
pub struct Hooks {
    dir: PathBuf,
}

impl Hooks {
    pub fn from_env() -> Option<Self> {
        let dir = PathBuf::from(std::env::var_os(ENV).filter(|v| !v.is_empty())?);
        if let Err(e) = std::fs::create_dir_all(&dir) {
            tracing::warn!(dir = %dir.display(), error = %e, "test hooks: cannot create the dir");
            return None;
        }
        tracing::warn!(dir = %dir.display(), "test hooks are on ({ENV})");
        Some(Self { dir })
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
        if let Err(e) = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &path)) {
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
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| writeln!(f, "{line}"));
        if let Err(e) = written {
            tracing::warn!(error = %e, "test hooks: cannot append to {}", path.display());
        }
    }

    /// Menu item ids written to the command file, forever.
    pub async fn watch_commands(self, app: AppHandle) {
        let file = self.dir.join(COMMAND_FILE);
        loop {
            tokio::time::sleep(POLL).await;
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let _ = std::fs::remove_file(&file);
            for id in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                tracing::info!(item = id, "test hook: menu item");
                let id = id.to_owned();
                let handle = app.clone();
                // On the main thread, like a real click.
                if let Err(e) =
                    app.run_on_main_thread(move || crate::tray::on_menu_item(&handle, &id))
                {
                    tracing::warn!(error = %e, "test hook: cannot dispatch");
                }
            }
        }
    }
}
