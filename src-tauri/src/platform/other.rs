//! Linux and others: coloured tray icons and no title next to the icon (tray
//! hosts that show one are rare, and XEmbed trays never do).

pub const USE_TEMPLATE_ICONS: bool = false;
pub const SHOWS_TITLE: bool = false;

pub fn configure_app(_app: &mut tauri::App) {}

/// An XDG autostart entry.
pub fn login_method() -> tvpn_core::install::LoginMethod {
    tvpn_core::install::LoginMethod::for_system(None)
}

/// No password prompt here: the caller tells the user the `sudo` command.
pub fn link_as_admin(
    _cli: &std::path::Path,
    _link: &std::path::Path,
) -> Option<Result<(), String>> {
    None
}
