//! macOS: a menu-bar accessory with no Dock icon, template tray icons that
//! the menu bar tints for light and dark mode, and text next to the icon.

pub const USE_TEMPLATE_ICONS: bool = true;
/// The menu bar shows the tray's title (the download speed) next to the icon.
pub const SHOWS_TITLE: bool = true;

pub fn configure_app(app: &mut tauri::App) {
    app.set_activation_policy(tauri::ActivationPolicy::Accessory);
}
