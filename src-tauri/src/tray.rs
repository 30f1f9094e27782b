//! The tray: built once, then updated in place from the menu model with
//! setters only (the menu is never rebuilt).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_opener::OpenerExt as _;
use tvpn_core::monitor::now_ms;

use crate::menu_model::{Action, MenuModel, TrayIcon as Icon};
use crate::platform;
use crate::runtime::Runtime;

const TRAY_ID: &str = "main";
/// The tray is refreshed at least this often (the stale rule needs time to
/// pass, not only new snapshots).
const REFRESH: Duration = Duration::from_secs(1);

/// Menu item ids (also what the test hook's command file names).
pub mod ids {
    pub const STATUS: &str = "status";
    pub const HEALTH: &str = "health";
    pub const SPEED: &str = "speed";
    pub const ACTION: &str = "action";
    pub const OPEN_WEBUI: &str = "open-webui";
    pub const COPY_PASSWORD: &str = "copy-webui-password";
    pub const VERIFY: &str = "verify";
    pub const SETTINGS: &str = "settings";
    pub const LOGIN: &str = "launch-at-login";
    pub const LOGS: &str = "show-logs";
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
    login: CheckMenuItem<Wry>,
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
    let settings = MenuItem::with_id(app, ids::SETTINGS, "Settings…", true, None::<&str>)?;
    let at_login = app.autolaunch().is_enabled().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot read the launch-at-login state");
        false
    });
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
            &copy_password,
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
        .icon(icon(Icon::Error)?)
        .icon_as_template(platform::USE_TEMPLATE_ICONS)
        .tooltip("Torrent VPN — Status unknown")
        .show_menu_on_left_click(true)
        .on_menu_event(on_menu_event)
        .build(app)?;
    app.state::<Arc<Runtime>>().set_launch_at_login(at_login);
    Ok(Items {
        tray,
        status,
        health,
        speed,
        action,
        open_webui,
        copy_password,
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
        if changed(last, |l| l.open_webui_enabled, m.open_webui_enabled) {
            self.open_webui.set_enabled(m.open_webui_enabled)?;
        }
        if changed(last, |l| l.verify_text.clone(), m.verify_text.clone()) {
            self.verify.set_text(&m.verify_text)?;
        }
        if changed(last, |l| l.verify_enabled, m.verify_enabled) {
            self.verify.set_enabled(m.verify_enabled)?;
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

/// Apply the model whenever the snapshot changes, and at least every second.
pub async fn refresh_loop(rt: Arc<Runtime>, items: Items) {
    let mut tick = tokio::time::interval(REFRESH);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = rt.refreshed() => {}
        }
        let model = rt.model(now_ms());
        if let Some(last) = rt.show(&model) {
            apply(&rt, &items, &model, last.as_ref());
        }
    }
}

fn apply(rt: &Runtime, items: &Items, model: &MenuModel, last: Option<&MenuModel>) {
    if let Err(e) = items.apply(model, last) {
        tracing::warn!(error = %e, "tray update failed");
    }
    if let Some(h) = rt.hooks() {
        let applied = Applied {
            at_ms: now_ms(),
            model,
        };
        h.write_json("menu.json", &applied);
        h.append_json_line("menu-history.jsonl", &applied);
    }
}

fn on_menu_event(app: &AppHandle, event: MenuEvent) {
    on_menu_item(app, event.id().as_ref());
}

/// Handle a click on the item `id` (also called by the test hook).
pub fn on_menu_item(app: &AppHandle, id: &str) {
    let rt = Arc::clone(app.state::<Arc<Runtime>>().inner());
    let result = match id {
        ids::ACTION => {
            on_action(app, &rt);
            Ok(())
        }
        ids::SETTINGS => crate::show_settings(app).map_err(|e| e.to_string()),
        ids::OPEN_WEBUI => match rt.webui_url() {
            Some(url) => {
                // The login page asks for the password: it is on the
                // clipboard, and a notification says so.
                rt.copy_webui_password(app, true);
                app.opener()
                    .open_url(url, None::<&str>)
                    .map_err(|e| e.to_string())
            }
            None => Ok(()),
        },
        ids::COPY_PASSWORD => {
            rt.copy_webui_password(app, false);
            Ok(())
        }
        ids::VERIFY => {
            rt.verify(app);
            Ok(())
        }
        ids::LOGIN => toggle_login(app, &rt),
        ids::LOGS => {
            let dir = rt.paths().log_dir().to_path_buf();
            app.opener()
                .open_path(dir.to_string_lossy(), None::<&str>)
                .map_err(|e| e.to_string())
        }
        ids::QUIT => {
            // The stack keeps running: the kill switch protects without the app.
            tracing::info!("quit (the stack keeps running)");
            app.exit(0);
            Ok(())
        }
        _ => Ok(()),
    };
    if let Err(e) = result {
        tracing::warn!(item = id, error = %e, "menu action failed");
    }
}

/// The action item does what the tray showed when it was clicked.
fn on_action(app: &AppHandle, rt: &Arc<Runtime>) {
    let Some(shown) = rt.last_model() else {
        return;
    };
    if !shown.action_enabled {
        return;
    }
    match shown.action {
        Action::Connect => rt.connect(app),
        Action::Disconnect => rt.disconnect(app),
        Action::Cancel => rt.cancel(app),
        Action::SetUp | Action::FixSettings => {
            if let Err(e) = crate::show_settings(app) {
                tracing::warn!(error = %e, "cannot show settings");
            }
        }
        Action::Disconnecting => {}
    }
}

fn toggle_login(app: &AppHandle, rt: &Runtime) -> Result<(), String> {
    let auto = app.autolaunch();
    let enabled = auto.is_enabled().map_err(|e| e.to_string())?;
    let result = if enabled {
        auto.disable()
    } else {
        auto.enable()
    };
    // Whatever happened, show the real state.
    rt.set_launch_at_login(auto.is_enabled().unwrap_or(enabled));
    result.map_err(|e| e.to_string())
}
