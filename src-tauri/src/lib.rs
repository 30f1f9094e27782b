//! The Torrent VPN menu-bar app: a thin adapter over `tvpn-core`.
//!
//! The core's monitor computes status ([`runtime`] supervises it);
//! [`menu_model`] turns its snapshot into plain data; [`tray`] applies that
//! data to the real tray. Windows and notifications are Tauri plugins
//! driven from here; Launch at Login is [`login`].

mod cli_tool;
mod clipboard;
mod commands;
mod hooks;
mod logging;
pub mod login;
pub mod menu_model;
mod notify;
mod platform;
pub mod prefs;
pub mod runtime;
mod tray;
mod updates;

use tauri::{Manager, RunEvent};
use tvpn_core::paths::AppPaths;

/// Label of the settings window in `tauri.conf.json`.
pub const SETTINGS_WINDOW: &str = "settings";

/// State shared by the tray and the commands.
pub struct AppState {
    pub paths: AppPaths,
}

pub fn run() -> anyhow::Result<()> {
    let paths = AppPaths::resolve(None)?;
    let _log_guard = logging::init(paths.log_dir())?;
    tracing::info!(config = %paths.config_dir().display(), "starting");

    let (rt, inbox) = runtime::Runtime::new(paths.clone());
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            if let Err(e) = show_settings(app) {
                tracing::warn!(error = %e, "could not show settings for a second launch");
            }
        }))
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(rt.clone())
        .manage(AppState { paths })
        .invoke_handler(tauri::generate_handler![
            commands::get_status,
            commands::load_settings,
            commands::save_settings,
            commands::plan_import,
            commands::apply_import,
            commands::try_demo,
            commands::copy_webui_password,
            commands::set_webui_password,
            prefs::get_tray_prefs,
            prefs::set_tray_prefs,
            runtime::last_verify,
            runtime::gateway_log,
        ])
        .setup(move |app| {
            platform::configure_app(app);
            let handle = app.handle().clone();
            let login = login::LoginItem::for_running_app();
            let items = tray::build(&handle)?;
            let hooks = hooks::Hooks::from_env();
            if let Some(h) = hooks.as_ref().filter(|_| hooks::Hooks::commands_wanted()) {
                tauri::async_runtime::spawn(h.clone().watch_commands(rt.clone()));
            }
            runtime::start(&handle, &rt, inbox, items, hooks, login);
            if std::env::var_os("TVPN_OPEN_SETTINGS").is_some() {
                show_settings(&handle)?;
            }
            Ok(())
        })
        .build(tauri::generate_context!())?;

    app.run(|_app, event| {
        // Closing the last window keeps the tray running; only Quit exits.
        if let RunEvent::ExitRequested { api, code, .. } = event {
            if code.is_none() {
                api.prevent_exit();
            }
        }
    });
    Ok(())
}

/// Show the settings window, creating it on first use.
pub fn show_settings(app: &tauri::AppHandle) -> tauri::Result<()> {
    if let Some(w) = app.get_webview_window(SETTINGS_WINDOW) {
        w.show()?;
        return w.set_focus();
    }
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == SETTINGS_WINDOW)
        .cloned()
        .ok_or_else(|| tauri::Error::WindowNotFound)?;
    let w = tauri::WebviewWindowBuilder::from_config(app, &config)?.build()?;
    w.set_focus()
}
