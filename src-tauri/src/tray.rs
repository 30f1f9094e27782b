//! The tray: built once, then updated in place from the menu model.

use std::time::Duration;

use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager};
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_opener::OpenerExt as _;
use tvpn_core::monitor::{now_ms, Snapshot};

use crate::menu_model::{menu_model, Action, MenuModel, Prefs, TrayIcon as Icon};
use crate::{platform, AppState};

const TRAY_ID: &str = "main";

mod ids {
    pub const STATUS: &str = "status";
    pub const HEALTH: &str = "health";
    pub const SPEED: &str = "speed";
    pub const ACTION: &str = "action";
    pub const OPEN_WEBUI: &str = "open-webui";
    pub const VERIFY: &str = "verify";
    pub const SETTINGS: &str = "settings";
    pub const LOGIN: &str = "launch-at-login";
    pub const LOGS: &str = "show-logs";
    pub const QUIT: &str = "quit";
}

/// Handles to the items that change.
#[derive(Clone)]
pub struct Items {
    tray: TrayIcon,
    status: MenuItem<tauri::Wry>,
    health: MenuItem<tauri::Wry>,
    speed: MenuItem<tauri::Wry>,
    action: MenuItem<tauri::Wry>,
    open_webui: MenuItem<tauri::Wry>,
    verify: MenuItem<tauri::Wry>,
    login: CheckMenuItem<tauri::Wry>,
}

pub fn build(app: &AppHandle) -> tauri::Result<Items> {
    let status = MenuItem::with_id(app, ids::STATUS, "Checking status…", false, None::<&str>)?;
    let health = MenuItem::with_id(app, ids::HEALTH, "", false, None::<&str>)?;
    let speed = MenuItem::with_id(app, ids::SPEED, "↓ –  ↑ –", false, None::<&str>)?;
    let action = MenuItem::with_id(app, ids::ACTION, "Connect", false, None::<&str>)?;
    let open_webui = MenuItem::with_id(
        app,
        ids::OPEN_WEBUI,
        "Open qBittorrent Web UI",
        false,
        None::<&str>,
    )?;
    let verify = MenuItem::with_id(app, ids::VERIFY, "Verify Protection…", false, None::<&str>)?;
    let settings = MenuItem::with_id(app, ids::SETTINGS, "Settings…", true, None::<&str>)?;
    let at_login = app.autolaunch().is_enabled().unwrap_or(false);
    let login = CheckMenuItem::with_id(
        app,
        ids::LOGIN,
        "Launch at Login",
        true,
        at_login,
        None::<&str>,
    )?;
    let logs = MenuItem::with_id(app, ids::LOGS, "Show Logs", true, None::<&str>)?;
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
            &verify,
            &PredefinedMenuItem::separator(app)?,
            &settings,
            &login,
            &logs,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let tray = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&menu)
        .icon(icon(Icon::Disconnected)?)
        .icon_as_template(platform::USE_TEMPLATE_ICONS)
        .tooltip("Torrent VPN")
        .on_menu_event(on_menu_event)
        .build(app)?;
    Ok(Items {
        tray,
        status,
        health,
        speed,
        action,
        open_webui,
        verify,
        login,
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
    /// Apply a model with setters only; the menu itself is never rebuilt.
    fn apply(&self, m: &MenuModel, last: Option<&MenuModel>) -> tauri::Result<()> {
        if last.map(|l| l.icon) != Some(m.icon) {
            self.tray
                .set_icon_with_as_template(Some(icon(m.icon)?), platform::USE_TEMPLATE_ICONS)?;
        }
        if last.map(|l| &l.tooltip) != Some(&m.tooltip) {
            self.tray.set_tooltip(Some(&m.tooltip))?;
        }
        if last.map(|l| &l.title) != Some(&m.title) {
            self.tray.set_title(m.title.as_deref())?;
        }
        self.status.set_text(&m.status_line)?;
        self.health.set_text(&m.health_line)?;
        self.speed.set_text(&m.speed_line)?;
        self.action.set_text(m.action.text())?;
        self.action
            .set_enabled(m.action_enabled && m.action == Action::SetUp)?;
        self.open_webui.set_enabled(m.open_webui_enabled)?;
        self.verify.set_enabled(m.verify_enabled)?;
        self.login.set_checked(m.launch_at_login)?;
        Ok(())
    }
}

/// Refresh the tray from the core's status every `every`.
pub async fn refresh_loop(app: AppHandle, items: Items, every: Duration) {
    let mut last: Option<MenuModel> = None;
    loop {
        let paths = app.state::<AppState>().paths.clone();
        let (report, _) = tvpn_core::status::collect(&paths).await;
        let snapshot = Snapshot::from_report(&report, now_ms());
        let prefs = Prefs {
            launch_at_login: app.autolaunch().is_enabled().unwrap_or(false),
            speed_in_title: true,
        };
        let model = menu_model(&snapshot, &prefs, now_ms());
        if last.as_ref() != Some(&model) {
            if let Err(e) = items.apply(&model, last.as_ref()) {
                tracing::warn!(error = %e, "tray update failed");
            }
            last = Some(model);
        }
        tokio::time::sleep(every).await;
    }
}

fn on_menu_event(app: &AppHandle, event: MenuEvent) {
    let result = match event.id().as_ref() {
        ids::ACTION | ids::SETTINGS => crate::show_settings(app).map_err(|e| e.to_string()),
        ids::LOGIN => toggle_login(app),
        ids::LOGS => {
            let dir = app.state::<AppState>().paths.log_dir().to_path_buf();
            app.opener()
                .open_path(dir.to_string_lossy(), None::<&str>)
                .map_err(|e| e.to_string())
        }
        ids::QUIT => {
            // The stack keeps running: the kill switch protects without the app.
            app.exit(0);
            Ok(())
        }
        _ => Ok(()),
    };
    if let Err(e) = result {
        tracing::warn!(item = event.id().as_ref(), error = %e, "menu action failed");
    }
}

fn toggle_login(app: &AppHandle) -> Result<(), String> {
    let auto = app.autolaunch();
    let enabled = auto.is_enabled().map_err(|e| e.to_string())?;
    if enabled {
        auto.disable()
    } else {
        auto.enable()
    }
    .map_err(|e| e.to_string())
}
