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
