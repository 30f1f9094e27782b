// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(e) = torrent_vpn::run() {
        eprintln!("torrent-vpn: {e:#}");
        std::process::exit(1);
    }
}
