//! `tvpn webui-password`: the Web UI's login for the user.

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use secrecy::{ExposeSecret, SecretString};
use tvpn_core::paths::AppPaths;
use tvpn_core::stack::webui::{self, Clipboard, PasswordChange, CLIPBOARD_SECONDS};

use crate::secrets;
use tvpn_core::status::load_config;

/// The system clipboard (arboard: the pasteboard on macOS, X11 or Wayland
/// on Linux).
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

pub async fn run(paths: &AppPaths, show: bool, copy: bool, set: bool) -> anyhow::Result<ExitCode> {
    let (_, settings) = load_config(paths);
    let Some(settings) = settings else {
        bail!("Torrent VPN is not set up yet: there is no Web UI login");
    };
    if set {
        let mut input = String::new();
        std::io::stdin()
            .read_to_string(&mut input)
            .context("reading the new password from stdin")?;
        let line = input.strip_suffix('\n').unwrap_or(&input);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let new = SecretString::from(line.to_owned());
        let manager = match crate::stack::open(paths).await {
            Ok(m) => m,
            Err(code) => return Ok(code),
        };
        return Ok(match manager.set_webui_password(new).await {
            Ok(PasswordChange::Applied) => {
                println!("the Web UI password is changed (qBittorrent and the Keychain)");
                ExitCode::SUCCESS
            }
            Ok(PasswordChange::Stored) => {
                println!(
                    "the Web UI password is stored in the Keychain; qBittorrent gets it at the \
                     next connect"
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("tvpn: {e}");
                ExitCode::FAILURE
            }
        });
    }
    let store = secrets::open(paths)?;
    let login = webui::login_for(&settings, &store).await?;
    let Some(password) = login.password else {
        bail!("no Web UI password yet: it is made at the first connect (`tvpn connect`)");
    };
    if show {
        println!("{}", password.expose_secret());
    } else if copy {
        let board = arboard::Clipboard::new()
            .map_err(|e| anyhow::anyhow!("no clipboard on this machine: {e}"))?;
        let mut board = SystemClipboard(board);
        eprintln!(
            "the Web UI password for {} at {} is on the clipboard; it is cleared in {CLIPBOARD_SECONDS} s",
            login.username, login.url
        );
        let cleared = webui::copy_for(
            &mut board,
            &password,
            Duration::from_secs(CLIPBOARD_SECONDS),
        )
        .await
        .map_err(|e| anyhow::anyhow!("the clipboard failed: {e}"))?;
        if cleared {
            eprintln!("cleared the clipboard");
        }
    } else {
        println!("Web UI:   {}", login.url);
        println!("username: {}", login.username);
        println!("password: in the Keychain (`tvpn webui-password --copy` or `--show`)");
    }
    Ok(ExitCode::SUCCESS)
}
