//! Linux and others: coloured tray icons, nothing else to set up.

pub const USE_TEMPLATE_ICONS: bool = false;

pub fn configure_app(_app: &mut tauri::App) {}
