//! What long operations report, and the clock: plain data that `stack`,
//! `monitor` and `session` share, depending on none of them.

use serde::{Deserialize, Serialize};

/// Steps of connect, in order; shown while connecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectStep {
    Preparing,
    Images,
    CreatingGateway,
    StartingGateway,
    WaitingForTunnel,
    StartingServices,
    Hardening,
}

impl ConnectStep {
    pub fn label(self) -> &'static str {
        match self {
            ConnectStep::Preparing => "Preparing network and volumes",
            ConnectStep::Images => "Checking images",
            ConnectStep::CreatingGateway => "Creating the VPN gateway",
            ConnectStep::StartingGateway => "Starting the VPN gateway",
            ConnectStep::WaitingForTunnel => "Waiting for the tunnel",
            ConnectStep::StartingServices => "Starting qBittorrent",
            ConnectStep::Hardening => "Securing qBittorrent",
        }
    }
}

/// Progress of a long operation, for the CLI and the tray.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Progress {
    /// Step `number` of `total` begins.
    Step {
        step: ConnectStep,
        number: usize,
        total: usize,
    },
    /// Step `number` of `total` is done.
    StepDone {
        step: ConnectStep,
        number: usize,
        total: usize,
    },
    /// An image is being pulled.
    Pull {
        image: String,
        status: String,
        current: Option<i64>,
        total: Option<i64>,
    },
    /// Something worth a line of its own.
    Note { message: String },
}

/// Where progress goes.
pub type ProgressFn<'a> = &'a mut (dyn FnMut(Progress) + Send);

/// The order of connect's steps.
pub const CONNECT_STEPS: [ConnectStep; 7] = [
    ConnectStep::Preparing,
    ConnectStep::Images,
    ConnectStep::CreatingGateway,
    ConnectStep::StartingGateway,
    ConnectStep::WaitingForTunnel,
    ConnectStep::StartingServices,
    ConnectStep::Hardening,
];

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
