//! Live status: the snapshot the tray, notifications and CLI show.

mod snapshot;

pub use snapshot::{now_ms, ConnectStep, Snapshot, State, Timed, Transfer, VpnInfo};
