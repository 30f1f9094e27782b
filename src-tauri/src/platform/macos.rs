//! macOS: a menu-bar accessory with no Dock icon, and template tray icons
//! that the menu bar tints for light and dark mode.

pub const USE_TEMPLATE_ICONS: bool = true;

pub fn configure_app(app: &mut tauri::App) {
    app.set_activation_policy(tauri::ActivationPolicy::Accessory);
}
