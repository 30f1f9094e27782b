//! Launch at Login on Linux: an installed program gets a real XDG autostart
//! entry (and loses it again); a build inside a source tree gets none and
//! says why. One test in this binary: it points HOME at a folder of its own.

#![cfg(target_os = "linux")]

use std::path::Path;

use torrent_vpn::login::LoginItem;
use tvpn_core::install::{Install, LoginMethod};

#[test]
fn an_installed_program_starts_at_login_and_a_source_tree_build_never() {
    let home = tempfile::tempdir().unwrap();
    std::env::set_var("HOME", home.path());
    let entry = home.path().join(".config/autostart/Torrent VPN.desktop");

    let installed = Install::classify(Path::new("/usr/bin/torrent-vpn"), |_| false);
    let item = LoginItem::new(Ok(&installed), LoginMethod::XdgAutostart);
    assert!(item.available());
    assert!(!item.is_enabled());
    let (on, result) = item.toggle();
    result.unwrap();
    assert!(on && item.is_enabled());
    let text = std::fs::read_to_string(&entry).unwrap();
    assert!(
        text.lines()
            .any(|l| l.trim_end() == "Exec=/usr/bin/torrent-vpn"),
        "{text}"
    );
    let (on, result) = item.toggle();
    result.unwrap();
    assert!(!on && !entry.exists());

    let tree = Install::classify(
        Path::new("/home/u/src/torrent-vpn/target/debug/torrent-vpn"),
        |p| p == Path::new("/home/u/src/torrent-vpn/Cargo.toml"),
    );
    let item = LoginItem::new(Ok(&tree), LoginMethod::XdgAutostart);
    assert!(!item.available() && !item.is_enabled());
    let (on, result) = item.toggle();
    let err = result.unwrap_err();
    assert!(!on);
    assert!(
        err.starts_with("Launch at Login is for the installed app; this is a build inside the source tree /home/u/src/torrent-vpn"),
        "{err}"
    );
    assert!(!entry.exists(), "a source tree build was put in autostart");
}
