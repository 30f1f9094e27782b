//! macOS: a menu-bar accessory with no Dock icon, template tray icons that
//! the menu bar tints for light and dark mode, and text next to the icon.

use std::path::Path;

use tvpn_core::install::LoginMethod;

pub const USE_TEMPLATE_ICONS: bool = true;
/// The menu bar shows the tray's title (the download speed) next to the icon.
pub const SHOWS_TITLE: bool = true;

pub fn configure_app(app: &mut tauri::App) {
    app.set_activation_policy(tauri::ActivationPolicy::Accessory);
}

/// `SMAppService` from macOS 13, a LaunchAgent before (the release from
/// `sw_vers -productVersion`).
pub fn login_method() -> LoginMethod {
    let version = std::process::Command::new("sw_vers")
        .arg("-productVersion")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    LoginMethod::for_system(Some(version.as_deref().unwrap_or("")))
}

/// Make `link` point at `cli` as an administrator: macOS asks for the
/// password (`osascript`'s `with administrator privileges`). `None` never:
/// a Mac can always ask.
pub fn link_as_admin(cli: &Path, link: &Path) -> Option<Result<(), String>> {
    // AppleScript string literals: backslashes and quotes escaped.
    let lit = |p: &Path| {
        let s = p
            .to_string_lossy()
            .replace('\\', "\\\\")
            .replace('"', "\\\"");
        format!("quoted form of \"{s}\"")
    };
    let dir = link.parent().unwrap_or(Path::new("/usr/local/bin"));
    let script = format!(
        "do shell script \"mkdir -p \" & {} & \" && ln -sfn \" & {} & \" \" & {} with administrator privileges",
        lit(dir),
        lit(cli),
        lit(link)
    );
    let out = std::process::Command::new("osascript")
        .arg("-e")
        .arg(script)
        .output();
    Some(match out {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "the link was not made: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!("cannot run osascript: {e}")),
    })
}
