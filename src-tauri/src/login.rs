//! Launch at Login, for the installed app only ([`Install`]): through
//! `SMAppService` on macOS 13 and later, a LaunchAgent before, an XDG
//! autostart entry on Linux ([`LoginMethod`], decided in the core; the
//! `auto-launch` crate does each).

use auto_launch::{AutoLaunch, AutoLaunchBuilder, MacOSLaunchMode};
use tvpn_core::install::{Install, LoginMethod};

/// The name a LaunchAgent or an autostart entry is filed under.
const NAME: &str = "Torrent VPN";

/// The login item of one install; unavailable (with the reason) for a
/// build inside a source tree.
pub struct LoginItem {
    item: Result<AutoLaunch, String>,
}

impl LoginItem {
    /// The running app's login item.
    pub fn for_running_app() -> LoginItem {
        let install = Install::current().map_err(|e| e.to_string());
        let method = crate::platform::login_method();
        LoginItem::new(install.as_ref().map_err(Clone::clone), method)
    }

    /// The login item of `install`, made with `method`.
    pub fn new(install: Result<&Install, String>, method: LoginMethod) -> LoginItem {
        let item = install.and_then(|install| {
            let program = install.login_program().map_err(|e| e.to_string())?;
            let mode = match method {
                LoginMethod::SmAppService => MacOSLaunchMode::SMAppService,
                LoginMethod::LaunchAgent | LoginMethod::XdgAutostart => {
                    MacOSLaunchMode::LaunchAgent
                }
            };
            AutoLaunchBuilder::new()
                .set_app_name(NAME)
                .set_app_path(&program.to_string_lossy())
                .set_macos_launch_mode(mode)
                .build()
                .map_err(|e| e.to_string())
        });
        if let Err(reason) = &item {
            tracing::info!(%reason, "Launch at Login is unavailable");
        }
        LoginItem { item }
    }

    /// Whether this install can start at login at all.
    pub fn available(&self) -> bool {
        self.item.is_ok()
    }

    /// Whether the app starts at login now.
    pub fn is_enabled(&self) -> bool {
        match &self.item {
            Ok(item) => item.is_enabled().unwrap_or_else(|e| {
                tracing::warn!(error = %e, "cannot read the launch-at-login state");
                false
            }),
            Err(_) => false,
        }
    }

    /// Turn it over: the state it is in now (whatever happened), and
    /// whether that worked.
    pub fn toggle(&self) -> (bool, Result<(), String>) {
        let item = match &self.item {
            Ok(item) => item,
            Err(reason) => return (false, Err(reason.clone())),
        };
        let enabled = match item.is_enabled() {
            Ok(e) => e,
            Err(e) => return (false, Err(e.to_string())),
        };
        let result = if enabled {
            item.disable()
        } else {
            item.enable()
        };
        (
            item.is_enabled().unwrap_or(enabled),
            result.map_err(|e| e.to_string()),
        )
    }
}
