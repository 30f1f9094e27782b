//! The status snapshot: plain data, with when each value was last refreshed.

use serde::{Deserialize, Serialize};

pub use crate::progress::{now_ms, ConnectStep};
use crate::stack::StackState;
use crate::status::{ConfigReport, EngineReport, StatusReport};

/// The monitor's state. Every state but `Protected` means "not known safe".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "detail", rename_all = "snake_case")]
pub enum State {
    DockerUnavailable,
    /// No settings yet: onboarding or the demo.
    NotConfigured,
    Disconnected,
    Connecting(ConnectStep),
    Protected,
    /// Tunnel down while connected; traffic verified blocked.
    KillSwitchEngaged,
    /// Traffic verified to leave outside the tunnel.
    Leak,
    Healing,
    Error(String),
}

/// A value and when it was read (ms since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timed<T> {
    pub value: T,
    pub at_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpnInfo {
    pub public_ip: String,
    pub country: Option<String>,
    pub city: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub down_bps: u64,
    pub up_bps: u64,
    pub active_torrents: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub state: State,
    /// When `state` was last confirmed.
    pub at_ms: u64,
    pub vpn: Option<Timed<VpnInfo>>,
    /// Docker health of the gateway: `healthy`, `unhealthy`, `starting`.
    pub gateway_health: Option<Timed<String>>,
    pub transfer: Option<Timed<Transfer>>,
    pub forwarded_port: Option<Timed<u16>>,
    /// qBittorrent's `connection_status`: `connected`, `firewalled`, `disconnected`.
    pub qbittorrent: Option<Timed<String>>,
}

impl Snapshot {
    pub fn new(state: State, at_ms: u64) -> Self {
        Self {
            state,
            at_ms,
            vpn: None,
            gateway_health: None,
            transfer: None,
            forwarded_port: None,
            qbittorrent: None,
        }
    }

    /// The same snapshot with every timestamp zeroed, to compare values.
    pub fn without_times(&self) -> Snapshot {
        fn zero<T: Clone>(t: &Option<Timed<T>>) -> Option<Timed<T>> {
            t.as_ref().map(|t| Timed {
                value: t.value.clone(),
                at_ms: 0,
            })
        }
        Snapshot {
            state: self.state.clone(),
            at_ms: 0,
            vpn: zero(&self.vpn),
            gateway_health: zero(&self.gateway_health),
            transfer: zero(&self.transfer),
            forwarded_port: zero(&self.forwarded_port),
            qbittorrent: zero(&self.qbittorrent),
        }
    }

    /// The coarse snapshot a one-shot status report supports: engine, stack
    /// presence and what the control server said. A running gateway whose
    /// VPN is not running counts as the kill switch holding (not verified).
    pub fn from_report(report: &StatusReport, at_ms: u64) -> Self {
        let state = match (&report.docker, &report.config) {
            (EngineReport::Unavailable { .. }, _) => State::DockerUnavailable,
            (_, ConfigReport::Invalid { error, .. }) => State::Error(format!("settings: {error}")),
            (_, ConfigReport::NotConfigured { .. }) => State::NotConfigured,
            _ => match report.stack.as_ref().map(|s| s.state) {
                None => State::Error(report.stack_error.clone().unwrap_or_default()),
                Some(StackState::Absent | StackState::Stopped) => State::Disconnected,
                Some(StackState::Partial) => State::Error("the stack is half running".to_owned()),
                Some(StackState::Running) => match &report.vpn {
                    Some(v) if v.status == "running" && v.public_ip.is_some() => State::Protected,
                    Some(v) if !v.status.is_empty() => State::KillSwitchEngaged,
                    _ => State::Connecting(ConnectStep::WaitingForTunnel),
                },
            },
        };
        let mut snapshot = Self::new(state, at_ms);
        if let Some(v) = &report.vpn {
            if let Some(ip) = &v.public_ip {
                snapshot.vpn = Some(Timed {
                    value: VpnInfo {
                        public_ip: ip.clone(),
                        country: v.country.clone(),
                        city: v.city.clone(),
                    },
                    at_ms,
                });
            }
            if let Some(p) = v.forwarded_ports.first() {
                snapshot.forwarded_port = Some(Timed { value: *p, at_ms });
            }
        }
        snapshot
    }
}
