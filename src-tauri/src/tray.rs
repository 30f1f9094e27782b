//! The tray: built once, then updated in place from the menu model with
//! setters only (the menu is never rebuilt).

use serde::Serialize;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};
use tvpn_core::monitor::now_ms;

use crate::hooks::Hooks;
use crate::menu_model::{MenuModel, TrayIcon as Icon};
use crate::platform;
use crate::runtime::{Event, Runtime};

const TRAY_ID: &str = "main";
const LOGIN_TEXT: &str = "Launch at Login";
const LOGIN_UNAVAILABLE_TEXT: &str = "Launch at Login (installed app only)";

/// Menu item ids (also what the test hook's command file names).
pub mod ids {
    pub const STATUS: &str = "status";
    pub const HEALTH: &str = "health";
    pub const SPEED: &str = "speed";
    pub const ACTION: &str = "action";
    pub const OPEN_WEBUI: &str = "open-webui";
    pub const COPY_PASSWORD: &str = "copy-webui-password";
    pub const VERIFY: &str = "verify";
    pub const KILL_SWITCH_TEST: &str = "test-kill-switch";
    pub const SETTINGS: &str = "settings";
    pub const LOGIN: &str = "launch-at-login";
    pub const INSTALL_CLI: &str = "install-cli";
    pub const BACK_UP: &str = "back-up";
    pub const UPDATES: &str = "check-for-updates";
    pub const LOGS: &str = "show-logs";
    pub const DIAGNOSTICS: &str = "export-diagnostics";
    pub const QUIT: &str = "quit";
}

/// Handles to the items that change.
pub struct Items {
    tray: TrayIcon,
    status: MenuItem<Wry>,
    health: MenuItem<Wry>,
    speed: MenuItem<Wry>,
    action: MenuItem<Wry>,
    open_webui: MenuItem<Wry>,
    copy_password: MenuItem<Wry>,
    verify: MenuItem<Wry>,
    kill_switch_test: MenuItem<Wry>,
    login: CheckMenuItem<Wry>,
    install_cli: MenuItem<Wry>,
    back_up: MenuItem<Wry>,
    updates: MenuItem<Wry>,
}

pub fn build(app: &AppHandle) -> tauri::Result<Items> {
    let status = MenuItem::with_id(app, ids::STATUS, "Status unknown", false, None::<&str>)?;
    let health = MenuItem::with_id(
        app,
        ids::HEALTH,
        "Waiting for the monitor…",
        false,
        None::<&str>,
    )?;
    let speed = MenuItem::with_id(app, ids::SPEED, "↓ –  ↑ –", false, None::<&str>)?;
    let action = MenuItem::with_id(app, ids::ACTION, "Connect", false, None::<&str>)?;
    let open_webui = MenuItem::with_id(
        app,
        ids::OPEN_WEBUI,
        "Open qBittorrent Web UI",
        false,
        None::<&str>,
    )?;
    let copy_password = MenuItem::with_id(
        app,
        ids::COPY_PASSWORD,
        "Copy Web UI Password",
        false,
        None::<&str>,
    )?;
    let verify = MenuItem::with_id(app, ids::VERIFY, "Verify Protection…", false, None::<&str>)?;
    let kill_switch_test = MenuItem::with_id(
        app,
        ids::KILL_SWITCH_TEST,
        "Test the Kill Switch…",
        false,
        None::<&str>,
    )?;
    let settings = MenuItem::with_id(app, ids::SETTINGS, "Settings…", true, None::<&str>)?;
    let login = CheckMenuItem::with_id(app, ids::LOGIN, LOGIN_TEXT, true, false, None::<&str>)?;
    let install_cli = MenuItem::with_id(
        app,
        ids::INSTALL_CLI,
        "Install Command Line Tool…",
        true,
        None::<&str>,
    )?;
    let back_up = MenuItem::with_id(app, ids::BACK_UP, "Back Up Now", true, None::<&str>)?;
    let updates = MenuItem::with_id(app, ids::UPDATES, "Check for Updates…", true, None::<&str>)?;
    let logs = MenuItem::with_id(app, ids::LOGS, "Show Logs", true, None::<&str>)?;
    let diagnostics = MenuItem::with_id(
        app,
        ids::DIAGNOSTICS,
        "Export Diagnostics…",
        true,
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(app, ids::QUIT, "Quit Torrent VPN", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &health,
            &speed,
            &PredefinedMenuItem::separator(app)?,
            &action,
            &open_webui,
            &copy_password,
            &verify,
            &kill_switch_test,
            &PredefinedMenuItem::separator(app)?,
            &settings,
            &login,
            &install_cli,
            &back_up,
            &logs,
            &diagnostics,
            &updates,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let tray = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&menu)
        .icon(icon(Icon::Error)?)
        .icon_as_template(platform::USE_TEMPLATE_ICONS)
        .tooltip("Torrent VPN — Status unknown")
        .show_menu_on_left_click(true)
        .on_menu_event(on_menu_event)
        .build(app)?;
    Ok(Items {
        tray,
        status,
        health,
        speed,
        action,
        open_webui,
        copy_password,
        verify,
        kill_switch_test,
        login,
        install_cli,
        back_up,
        updates,
    })
}

fn icon(which: Icon) -> tauri::Result<Image<'static>> {
    let bytes: &'static [u8] = match (which, platform::USE_TEMPLATE_ICONS) {
        (Icon::Protected, false) => include_bytes!("../../icons/tray/protected.png"),
        (Icon::Connecting, false) => include_bytes!("../../icons/tray/connecting.png"),
        (Icon::Disconnected, false) => include_bytes!("../../icons/tray/disconnected.png"),
        (Icon::KillSwitch, false) => include_bytes!("../../icons/tray/killswitch.png"),
        (Icon::Leak, false) => include_bytes!("../../icons/tray/leak.png"),
        (Icon::Error, false) => include_bytes!("../../icons/tray/error.png"),
        (Icon::DockerDown, false) => include_bytes!("../../icons/tray/docker-down.png"),
        (Icon::Protected, true) => include_bytes!("../../icons/tray/protected-template.png"),
        (Icon::Connecting, true) => include_bytes!("../../icons/tray/connecting-template.png"),
        (Icon::Disconnected, true) => include_bytes!("../../icons/tray/disconnected-template.png"),
        (Icon::KillSwitch, true) => include_bytes!("../../icons/tray/killswitch-template.png"),
        (Icon::Leak, true) => include_bytes!("../../icons/tray/leak-template.png"),
        (Icon::Error, true) => include_bytes!("../../icons/tray/error-template.png"),
        (Icon::DockerDown, true) => include_bytes!("../../icons/tray/docker-down-template.png"),
    };
    Image::from_bytes(bytes)
}

impl Items {
    /// Apply a model with setters only; unchanged parts are left alone.
    fn apply(&self, m: &MenuModel, last: Option<&MenuModel>) -> tauri::Result<()> {
        fn changed<T: PartialEq>(
            last: Option<&MenuModel>,
            f: impl Fn(&MenuModel) -> T,
            now: T,
        ) -> bool {
            last.map(f) != Some(now)
        }
        if changed(last, |l| l.icon, m.icon) {
            self.tray
                .set_icon_with_as_template(Some(icon(m.icon)?), platform::USE_TEMPLATE_ICONS)?;
        }
        if changed(last, |l| l.tooltip.clone(), m.tooltip.clone()) {
            self.tray.set_tooltip(Some(&m.tooltip))?;
        }
        if platform::SHOWS_TITLE && changed(last, |l| l.title.clone(), m.title.clone()) {
            self.tray.set_title(m.title.as_deref())?;
        }
        if changed(last, |l| l.status_line.clone(), m.status_line.clone()) {
            self.status.set_text(&m.status_line)?;
        }
        if changed(last, |l| l.health_line.clone(), m.health_line.clone()) {
            self.health.set_text(&m.health_line)?;
        }
        if changed(last, |l| l.speed_line.clone(), m.speed_line.clone()) {
            self.speed.set_text(&m.speed_line)?;
        }
        if changed(last, |l| l.action, m.action) {
            self.action.set_text(m.action.text())?;
        }
        if changed(last, |l| l.action_enabled, m.action_enabled) {
            self.action.set_enabled(m.action_enabled)?;
        }
        if changed(last, |l| l.copy_password_enabled, m.copy_password_enabled) {
            self.copy_password.set_enabled(m.copy_password_enabled)?;
        }
        if changed(last, |l| l.update_text.clone(), m.update_text.clone()) {
            self.updates.set_text(&m.update_text)?;
        }
        if changed(last, |l| l.update_enabled, m.update_enabled) {
            self.updates.set_enabled(m.update_enabled)?;
        }
        if changed(last, |l| l.back_up_enabled, m.back_up_enabled) {
            self.back_up.set_enabled(m.back_up_enabled)?;
        }
        if changed(last, |l| l.open_webui_enabled, m.open_webui_enabled) {
            self.open_webui.set_enabled(m.open_webui_enabled)?;
        }
        if changed(last, |l| l.verify_text.clone(), m.verify_text.clone()) {
            self.verify.set_text(&m.verify_text)?;
        }
        if changed(last, |l| l.verify_enabled, m.verify_enabled) {
            self.verify.set_enabled(m.verify_enabled)?;
        }
        if changed(
            last,
            |l| l.kill_switch_test_enabled,
            m.kill_switch_test_enabled,
        ) {
            self.kill_switch_test
                .set_enabled(m.kill_switch_test_enabled)?;
        }
        // A build inside a source tree never starts at login nor links its
        // tvpn: the items say so, greyed out.
        if changed(last, |l| l.installed_app, m.installed_app) {
            self.install_cli.set_enabled(m.installed_app)?;
            self.login.set_enabled(m.installed_app)?;
            self.login.set_text(if m.installed_app {
                LOGIN_TEXT
            } else {
                LOGIN_UNAVAILABLE_TEXT
            })?;
        }
        // GTK flips a check item on click by itself: always restate it.
        self.login.set_checked(m.launch_at_login)?;
        Ok(())
    }
}

/// What the test hook writes after each apply.
#[derive(Serialize)]
struct Applied<'a> {
    at_ms: u64,
    model: &'a MenuModel,
}

/// Apply `model` (the tray showed `last`); with the test hooks on, write it
/// to the hook dir too.
pub fn apply(items: &Items, model: &MenuModel, last: Option<&MenuModel>, hooks: Option<&Hooks>) {
    if let Err(e) = items.apply(model, last) {
        tracing::warn!(error = %e, "tray update failed");
    }
    if let Some(h) = hooks {
        let applied = Applied {
            at_ms: now_ms(),
            model,
        };
        h.write_json("menu.json", &applied);
        h.append_json_line("menu-history.jsonl", &applied);
    }
}

/// A click: the runtime's task handles it.
fn on_menu_event(app: &AppHandle, event: MenuEvent) {
    match app.try_state::<Runtime>() {
        Some(rt) => rt.send(Event::Menu(event.id().as_ref().to_owned())),
        None => tracing::warn!("a menu click before the runtime started"),
    }
}
