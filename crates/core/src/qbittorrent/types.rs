//! Values the Web UI API returns.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// The Web API version (`GET /api/v2/app/webapiVersion`, e.g. `2.11.4`).
/// Ordered by (major, minor, patch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApiVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl ApiVersion {
    /// qBittorrent 5.0 (Web API 2.11.0) renamed `torrents/pause|resume` to
    /// `torrents/stop|start` and the `paused*` states to `stopped*`.
    pub const STOP_START: ApiVersion = ApiVersion::new(2, 11, 0);

    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// `"2.11.4"`, `"2.8"` (patch 0); `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        let mut parts = text.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = match parts.next() {
            Some(p) => p.parse().ok()?,
            None => 0,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Self::new(major, minor, patch))
    }

    /// qBittorrent 5.x: use `stop`/`start` (not `pause`/`resume`).
    pub fn is_5x(&self) -> bool {
        *self >= Self::STOP_START
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// `connection_status` of `transfer/info` and `server_state`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(from = "String")]
pub enum ConnectionStatus {
    Connected,
    /// Listening, but no incoming connection seen yet.
    Firewalled,
    /// Not listening (e.g. the bound interface is gone).
    Disconnected,
    /// Not reported yet.
    #[default]
    Unknown,
    /// A value this version does not know, kept as sent.
    Other(String),
}

impl ConnectionStatus {
    pub fn as_str(&self) -> &str {
        match self {
            ConnectionStatus::Connected => "connected",
            ConnectionStatus::Firewalled => "firewalled",
            ConnectionStatus::Disconnected => "disconnected",
            ConnectionStatus::Unknown => "",
            ConnectionStatus::Other(s) => s,
        }
    }
}

impl From<String> for ConnectionStatus {
    fn from(s: String) -> Self {
        match s.as_str() {
            "connected" => ConnectionStatus::Connected,
            "firewalled" => ConnectionStatus::Firewalled,
            "disconnected" => ConnectionStatus::Disconnected,
            "" => ConnectionStatus::Unknown,
            _ => ConnectionStatus::Other(s),
        }
    }
}

impl fmt::Display for ConnectionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConnectionStatus::Unknown => "unknown",
            other => other.as_str(),
        })
    }
}

/// `""` (and `null`) read as `None`.
pub(crate) fn empty_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let raw = Option::<String>::deserialize(d)?;
    Ok(raw.filter(|s| !s.trim().is_empty()))
}

/// `GET /api/v2/transfer/info`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct TransferInfo {
    /// Bytes/s.
    #[serde(default)]
    pub dl_info_speed: u64,
    #[serde(default)]
    pub up_info_speed: u64,
    /// Bytes this session.
    #[serde(default)]
    pub dl_info_data: u64,
    #[serde(default)]
    pub up_info_data: u64,
    #[serde(default)]
    pub dl_rate_limit: u64,
    #[serde(default)]
    pub up_rate_limit: u64,
    #[serde(default)]
    pub dht_nodes: u64,
    #[serde(default)]
    pub connection_status: ConnectionStatus,
    /// The external address libtorrent saw (qBittorrent 5.1+): the leak
    /// cross-check against the gateway's public IP.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub last_external_address_v4: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub last_external_address_v6: Option<String>,
}

/// The preferences the app reads (`GET /api/v2/app/preferences`); every
/// other key is ignored. A key missing in this version reads as `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Preferences {
    pub listen_port: Option<u32>,
    pub random_port: Option<bool>,
    pub upnp: Option<bool>,
    /// `"tun0"`; empty means any interface.
    pub current_network_interface: Option<String>,
    pub current_interface_name: Option<String>,
    /// An address to bind; empty means all.
    pub current_interface_address: Option<String>,
    pub dht: Option<bool>,
    pub lsd: Option<bool>,
    pub pex: Option<bool>,
    pub anonymous_mode: Option<bool>,
    pub save_path: Option<String>,
    /// Global download limit, bytes/s (0: none).
    pub dl_limit: Option<i64>,
    pub web_ui_port: Option<u32>,
    pub web_ui_username: Option<String>,
    pub bypass_local_auth: Option<bool>,
    pub bypass_auth_subnet_whitelist_enabled: Option<bool>,
    pub bypass_auth_subnet_whitelist: Option<String>,
    pub web_ui_csrf_protection_enabled: Option<bool>,
    pub web_ui_host_header_validation_enabled: Option<bool>,
    pub web_ui_domain_list: Option<String>,
    pub web_ui_max_auth_fail_count: Option<u32>,
    /// Seconds.
    pub web_ui_ban_duration: Option<u32>,
    /// Seconds.
    pub web_ui_session_timeout: Option<u32>,
    /// Run an external program when a torrent finishes.
    pub autorun_enabled: Option<bool>,
    /// Run an external program when a torrent is added.
    pub autorun_on_torrent_added_enabled: Option<bool>,
}

/// One torrent of `GET /api/v2/torrents/info` (the fields the app uses).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct TorrentInfo {
    pub hash: String,
    #[serde(default)]
    pub name: String,
    /// `downloading`, `stalledUP`, `pausedDL` (4.x) / `stoppedDL` (5.x)…
    #[serde(default)]
    pub state: String,
    /// 0.0 to 1.0.
    #[serde(default)]
    pub progress: f64,
    /// Bytes/s.
    #[serde(default)]
    pub dlspeed: u64,
    #[serde(default)]
    pub upspeed: u64,
}

impl TorrentInfo {
    pub fn is_active(&self) -> bool {
        is_active(&self.state, self.dlspeed, self.upspeed)
    }
}

/// States in which a torrent counts as active even at zero speed.
pub const ACTIVE_STATES: &[&str] = &[
    "downloading",
    "forcedDL",
    "metaDL",
    "forcedMetaDL",
    "uploading",
    "forcedUP",
];

/// "Active": moving data, or in a state that is trying to.
pub fn is_active(state: &str, dlspeed: u64, upspeed: u64) -> bool {
    dlspeed > 0 || upspeed > 0 || ACTIVE_STATES.contains(&state)
}

/// Whether a state is a stopped one, under either naming
/// (`pausedDL`/`pausedUP` in 4.x, `stoppedDL`/`stoppedUP` in 5.x).
pub fn is_stopped_state(state: &str) -> bool {
    matches!(state, "pausedDL" | "pausedUP" | "stoppedDL" | "stoppedUP")
}
