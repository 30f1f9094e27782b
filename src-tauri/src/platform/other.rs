//! Linux and others: coloured tray icons and no title next to the icon (tray
//! hosts that show one are rare, and XEmbed trays never do).

pub const USE_TEMPLATE_ICONS: bool = false;
pub const SHOWS_TITLE: bool = false;

pub fn configure_app(_app: &mut tauri::App) {}
