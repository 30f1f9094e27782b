//! Live status: a state machine fed by signals ([`machine`]), its sources
//! and actions ([`run`]), and the snapshot the tray, notifications and CLI
//! show.

mod driver;
mod heal;
pub mod machine;
mod probe;
mod snapshot;

pub use driver::{
    classify_block_probe, run, run_with_signals, verify_block, MonitorOptions, MonitorOutput,
};
pub use heal::HealEvent;
pub use machine::{Action, BlockProbe, Event, EventKind, Machine, Presence, Signal};
pub use snapshot::{now_ms, ConnectStep, Snapshot, State, Timed, Transfer, VpnInfo};
