//! The Web UI password on the system clipboard for a minute (arboard: the
//! pasteboard on macOS, X11 or Wayland on Linux). The decision (clear only
//! what is still ours) is the core's `copy_for`.

use std::time::Duration;

use tvpn_core::secrets::SecretString;
use tvpn_core::stack::webui::{self, Clipboard, CLIPBOARD_SECONDS};

struct SystemClipboard(arboard::Clipboard);

impl Clipboard for SystemClipboard {
    fn set_text(&mut self, text: &str) -> Result<(), String> {
        self.0.set_text(text).map_err(|e| e.to_string())
    }
    fn text(&mut self) -> Option<String> {
        self.0.get_text().ok()
    }
    fn clear(&mut self) -> Result<(), String> {
        self.0.clear().map_err(|e| e.to_string())
    }
}

/// Copy `secret` now and clear it after a minute unless something else was
/// copied meanwhile. The clipboard lives on a thread of its own for that
/// minute (on X11 the copying program serves the content). Returns once the
/// text is on the clipboard, or the reason it could not be put there.
pub fn copy_for_a_minute(secret: SecretString) -> Result<(), String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("clipboard".to_owned())
        .spawn(move || {
            let board = match arboard::Clipboard::new() {
                Ok(b) => b,
                Err(e) => {
                    let _ = tx.send(Err(format!("no clipboard: {e}")));
                    return;
                }
            };
            let mut board = Notifying {
                inner: SystemClipboard(board),
                tx: Some(tx),
            };
            let result = tauri::async_runtime::block_on(webui::copy_for(
                &mut board,
                &secret,
                Duration::from_secs(CLIPBOARD_SECONDS),
            ));
            if let Err(e) = result {
                tracing::warn!(error = %e, "clipboard");
            }
        })
        .map_err(|e| e.to_string())?;
    rx.recv_timeout(Duration::from_secs(5))
        .map_err(|_| "the clipboard did not answer".to_owned())?
}

/// Reports the first `set_text` back to the caller.
struct Notifying {
    inner: SystemClipboard,
    tx: Option<std::sync::mpsc::Sender<Result<(), String>>>,
}

impl Clipboard for Notifying {
    fn set_text(&mut self, text: &str) -> Result<(), String> {
        let r = self.inner.set_text(text);
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(r.clone());
        }
        r
    }
    fn text(&mut self) -> Option<String> {
        self.inner.text()
    }
    fn clear(&mut self) -> Result<(), String> {
        self.inner.clear()
    }
}

/// Put the Web UI password on the clipboard for a minute and say so in a
/// notification (`opening`: the Web UI is being opened too).
pub async fn copy_webui_password(
    app: &tauri::AppHandle,
    manager: Option<&tvpn_core::stack::StackManager>,
    opening: bool,
) {
    let Some(manager) = manager else {
        crate::notify::notify(app, "Web UI password", "Torrent VPN is not set up yet.");
        return;
    };
    let login = webui::login_for(manager.settings(), manager.secrets()).await;
    let (title, body) = match login {
        Ok(webui::WebUiLogin {
            password: Some(password),
            username,
            ..
        }) => match copy_for_a_minute(password) {
            Ok(()) if opening => (
                "Web UI password copied",
                format!("Log in as {username} and paste it; the clipboard is cleared in 60 s."),
            ),
            Ok(()) => (
                "Web UI password copied",
                format!("For user {username}; the clipboard is cleared in 60 s."),
            ),
            Err(e) => ("Web UI password not copied", e),
        },
        Ok(_) => (
            "No Web UI password yet",
            "It is made at the first Connect.".to_owned(),
        ),
        Err(e) => ("Web UI password not copied", e.to_string()),
    };
    crate::notify::notify(app, title, &body);
}
