//! `GET /api/v2/sync/maindata`: incremental sync.
//!
//! The server answers with a response id (`rid`). Passing it back gets only
//! what changed since: partial torrent objects keyed by hash, the hashes
//! removed, and the changed `server_state` fields. A stale or zero `rid`
//! gets `full_update: true`. [`MainDataState`] keeps the merged result, with
//! only the fields the app shows, so its size is bounded by the number of
//! torrents.

use std::collections::HashMap;

use serde::Deserialize;

use super::types::{is_active, ConnectionStatus};

/// One answer of `sync/maindata`, as sent (only the fields the app uses;
/// categories, tags and trackers are skipped while parsing).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct MainData {
    #[serde(default)]
    pub rid: u64,
    #[serde(default)]
    pub full_update: bool,
    #[serde(default)]
    pub torrents: HashMap<String, TorrentPatch>,
    #[serde(default)]
    pub torrents_removed: Vec<String>,
    #[serde(default)]
    pub server_state: Option<ServerStatePatch>,
}

/// The fields of one torrent that changed (all of them in a full update).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct TorrentPatch {
    pub name: Option<String>,
    pub state: Option<String>,
    pub progress: Option<f64>,
    pub dlspeed: Option<u64>,
    pub upspeed: Option<u64>,
}

/// The `server_state` fields that changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ServerStatePatch {
    pub dl_info_speed: Option<u64>,
    pub up_info_speed: Option<u64>,
    pub dl_info_data: Option<u64>,
    pub up_info_data: Option<u64>,
    pub dht_nodes: Option<u64>,
    pub connection_status: Option<ConnectionStatus>,
    /// qBittorrent 5.1+. `""` means none.
    pub last_external_address_v4: Option<String>,
    pub last_external_address_v6: Option<String>,
}

/// A torrent as the app keeps it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TorrentSummary {
    pub name: String,
    pub state: String,
    /// 0.0 to 1.0.
    pub progress: f64,
    /// Bytes/s.
    pub dlspeed: u64,
    pub upspeed: u64,
}

impl TorrentSummary {
    pub fn is_active(&self) -> bool {
        is_active(&self.state, self.dlspeed, self.upspeed)
    }

    fn apply(&mut self, patch: TorrentPatch) {
        if let Some(v) = patch.name {
            self.name = v;
        }
        if let Some(v) = patch.state {
            self.state = v;
        }
        if let Some(v) = patch.progress {
            self.progress = v;
        }
        if let Some(v) = patch.dlspeed {
            self.dlspeed = v;
        }
        if let Some(v) = patch.upspeed {
            self.upspeed = v;
        }
    }
}

/// The session's totals as the app keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerState {
    /// Bytes/s.
    pub dl_info_speed: u64,
    pub up_info_speed: u64,
    /// Bytes this session.
    pub dl_info_data: u64,
    pub up_info_data: u64,
    pub dht_nodes: u64,
    pub connection_status: ConnectionStatus,
    pub last_external_address_v4: Option<String>,
    pub last_external_address_v6: Option<String>,
}

impl ServerState {
    fn apply(&mut self, patch: ServerStatePatch) {
        if let Some(v) = patch.dl_info_speed {
            self.dl_info_speed = v;
        }
        if let Some(v) = patch.up_info_speed {
            self.up_info_speed = v;
        }
        if let Some(v) = patch.dl_info_data {
            self.dl_info_data = v;
        }
        if let Some(v) = patch.up_info_data {
            self.up_info_data = v;
        }
        if let Some(v) = patch.dht_nodes {
            self.dht_nodes = v;
        }
        if let Some(v) = patch.connection_status {
            self.connection_status = v;
        }
        if let Some(v) = patch.last_external_address_v4 {
            self.last_external_address_v4 = Some(v).filter(|s| !s.trim().is_empty());
        }
        if let Some(v) = patch.last_external_address_v6 {
            self.last_external_address_v6 = Some(v).filter(|s| !s.trim().is_empty());
        }
    }
}

/// The merged result of successive `sync/maindata` answers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MainDataState {
    rid: u64,
    torrents: HashMap<String, TorrentSummary>,
    server: ServerState,
}

impl MainDataState {
    pub fn new() -> Self {
        Self::default()
    }

    /// The `rid` to send next (0 before the first answer: a full update).
    pub fn rid(&self) -> u64 {
        self.rid
    }

    /// Merge one answer. A full update replaces everything.
    pub fn apply(&mut self, update: MainData) {
        if update.full_update {
            self.torrents.clear();
            self.server = ServerState::default();
        }
        for (hash, patch) in update.torrents {
            self.torrents.entry(hash).or_default().apply(patch);
        }
        for hash in &update.torrents_removed {
            self.torrents.remove(hash);
        }
        if let Some(patch) = update.server_state {
            self.server.apply(patch);
        }
        self.rid = update.rid;
    }

    /// Forget everything: the next sync is a full one.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Session download speed, bytes/s.
    pub fn download_speed(&self) -> u64 {
        self.server.dl_info_speed
    }

    /// Session upload speed, bytes/s.
    pub fn upload_speed(&self) -> u64 {
        self.server.up_info_speed
    }

    pub fn torrent_count(&self) -> usize {
        self.torrents.len()
    }

    /// Torrents moving data, or in a downloading/uploading state
    /// ([`super::ACTIVE_STATES`]).
    pub fn active_torrents(&self) -> usize {
        self.torrents.values().filter(|t| t.is_active()).count()
    }

    pub fn connection_status(&self) -> &ConnectionStatus {
        &self.server.connection_status
    }

    /// qBittorrent 5.1+: the external IPv4 address libtorrent saw.
    pub fn last_external_address_v4(&self) -> Option<&str> {
        self.server.last_external_address_v4.as_deref()
    }

    pub fn server_state(&self) -> &ServerState {
        &self.server
    }

    pub fn torrent(&self, hash: &str) -> Option<&TorrentSummary> {
        self.torrents.get(hash)
    }

    /// `(hash, torrent)` pairs, in no particular order.
    pub fn torrents(&self) -> impl Iterator<Item = (&str, &TorrentSummary)> {
        self.torrents.iter().map(|(h, t)| (h.as_str(), t))
    }
}
