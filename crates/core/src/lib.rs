//! The Torrent VPN domain, with no UI dependency.
//!
//! Everything the menu-bar app and the `tvpn` CLI do goes through this crate:
//! settings ([`settings`]), the Docker engine ([`docker`]), and the status
//! reports built on them ([`status`]).

pub mod backup;
pub mod diagnostics;
pub mod docker;
pub mod gluetun;
mod http;
pub mod import;
pub mod install;
pub mod logging;
pub mod monitor;
pub mod paths;
pub mod progress;
pub mod qbittorrent;
pub mod secrets;
pub mod session;
pub mod settings;
pub mod stack;
pub mod status;
mod tgz;
pub mod updates;
pub mod verify;

pub use settings::Settings;
