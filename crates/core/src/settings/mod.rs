//! Typed, validated settings, stored as TOML in the config dir.
//!
//! Secrets are not settings: the WireGuard private key, passwords and API keys
//! live in the secret store. A settings file only ever exists in a valid state:
//! [`Settings::save`] validates first and writes nothing when a field is wrong,
//! and the write itself is atomic (temp file + rename). [`commit`] writes
//! settings together with their Keychain secrets, all or nothing.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Component, Path, PathBuf};

use base64::Engine;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// Gateway image used when the settings don't name one (pinned).
pub const DEFAULT_GATEWAY_IMAGE: &str = "qmcgaw/gluetun:v3.41.1";
/// qBittorrent image used when the settings don't name one (pinned).
pub const DEFAULT_QBITTORRENT_IMAGE: &str = "lscr.io/linuxserver/qbittorrent:5.1.4";

/// Providers gluetun knows (`VPN_SERVICE_PROVIDER`).
pub const PROVIDERS: &[&str] = &[
    "airvpn",
    "custom",
    "cyberghost",
    "expressvpn",
    "fastestvpn",
    "giganews",
    "hidemyass",
    "ipvanish",
    "ivpn",
    "mullvad",
    "nordvpn",
    "perfect privacy",
    "privado",
    "private internet access",
    "privatevpn",
    "protonvpn",
    "purevpn",
    "slickvpn",
    "surfshark",
    "torguard",
    "vpn unlimited",
    "vpnsecure",
    "vyprvpn",
    "windscribe",
];

mod commit;
#[cfg(feature = "lab")]
pub mod demo;
pub mod exposure;
mod field;
pub mod gluetun;

pub use commit::{commit, CommitError, Committed};
pub use field::{Field, FieldPath, UnknownField};
pub use gluetun::{Generation, PortForwardProvider};

/// Providers with native port forwarding in gluetun (`settings/portforward.go`);
/// a custom provider names one of them in `vpn.port_forwarding_provider`.
pub const PORT_FORWARDING_PROVIDERS: &[&str] = &[
    "perfect privacy",
    "private internet access",
    "privatevpn",
    "protonvpn",
];

/// Gateway environment variables the app sets itself, or that carry secrets:
/// `stack.gateway_env` may not name them.
const MANAGED_ENV: &[&str] = &[
    "VPN_SERVICE_PROVIDER",
    "VPN_TYPE",
    "VPN_INTERFACE",
    "SERVER_COUNTRIES",
    "FIREWALL_OUTBOUND_SUBNETS",
    "HTTP_CONTROL_SERVER_ADDRESS",
    "HTTP_CONTROL_SERVER_AUTH_CONFIG_FILEPATH",
    "HTTP_CONTROL_SERVER_AUTH_DEFAULT_ROLE",
    "VPN_PORT_FORWARDING",
    "VPN_PORT_FORWARDING_PROVIDER",
    "HTTP_CONTROL_SERVER_LOG",
    "PUBLICIP_ENABLED",
    "DNS_SERVER",
    // gluetun's older names for the settings above: gosettings reads a
    // deprecated name before the current one, so each would override the
    // app's value.
    "VPNSP",
    "EXTRA_SUBNETS",
    "PORT_FORWARDING",
    "PRIVATE_INTERNET_ACCESS_VPN_PORT_FORWARDING",
    "DOT",
    "COUNTRY",
    "REGION",
    "UID",
    "GID",
    "PUID",
    "PGID",
    "TZ",
];

/// Substrings that mark an env var as secret; such values belong in the store.
const SECRET_ENV_MARKERS: &[&str] = &["KEY", "PASSWORD", "PASS", "SECRET", "TOKEN", "USER"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VpnType {
    Wireguard,
    Openvpn,
}

impl VpnType {
    pub fn as_str(self) -> &'static str {
        match self {
            VpnType::Wireguard => "wireguard",
            VpnType::Openvpn => "openvpn",
        }
    }
}

/// The whole settings file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Names this configuration; secrets are stored under it.
    #[serde(default = "default_profile")]
    pub profile: String,
    pub vpn: VpnSettings,
    #[serde(default)]
    pub stack: StackSettings,
    #[serde(default)]
    pub qbittorrent: QbittorrentSettings,
    #[serde(default)]
    pub docker: DockerSettings,
    #[serde(default)]
    pub monitor: MonitorSettings,
    #[serde(default)]
    pub backup: BackupSettings,
    #[serde(default)]
    pub updates: UpdatesSettings,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VpnSettings {
    pub provider: String,
    #[serde(rename = "type")]
    pub vpn_type: VpnType,
    #[serde(default)]
    pub server_countries: Vec<String>,
    #[serde(default)]
    pub port_forwarding: bool,
    /// Whose port-forwarding code gluetun runs (`VPN_PORT_FORWARDING_PROVIDER`);
    /// needed with a custom provider on such a provider's servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_forwarding_provider: Option<PortForwardProvider>,
    #[serde(default)]
    pub wireguard: WireguardSettings,
}

/// The non-secret half of a WireGuard configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireguardSettings {
    /// `IP:port`; gluetun needs an IP, not a hostname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<SocketAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    #[serde(default)]
    pub addresses: Vec<IpNet>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StackSettings {
    /// Compose project name; container names derive from it.
    pub project: String,
    /// Docker network the gateway joins; `None` means the app's own network.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    pub gateway_image: String,
    pub qbittorrent_image: String,
    pub downloads_dir: PathBuf,
    /// Subnets the gateway lets through outside the tunnel (the LAN).
    pub lan_subnets: Vec<IpNet>,
    /// Host address the published ports bind to; `127.0.0.1` unless the
    /// user exposes the Web UI on the LAN.
    pub bind_address: IpAddr,
    pub webui_port: u16,
    pub control_port: u16,
    pub puid: u32,
    pub pgid: u32,
    pub timezone: String,
    /// Extra gluetun options (non-secret), passed to the gateway as env.
    pub gateway_env: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QbittorrentSettings {
    pub username: String,
    pub dht: bool,
    pub lsd: bool,
    pub pex: bool,
    pub upnp: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DockerSettings {
    /// Engine endpoint (`unix:///path` or `tcp://host:port`); wins over discovery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// How the app watches the tunnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MonitorSettings {
    /// The address pinged through the tunnel every 200 ms to notice a dead
    /// tunnel within a second (gluetun's own health target by default), and
    /// outside it to verify that the kill switch blocks.
    pub probe_target: IpAddr,
    /// An IP echo asked from this machine, outside the VPN: the user's real
    /// address, which the VPN's must differ from (the IP-leak check).
    pub real_ip_url: String,
    /// An IP echo asked from inside the stack, through the tunnel (the live
    /// kill-switch test: it must fail while the VPN is stopped).
    pub tunnel_ip_url: String,
}

/// Daily backups of what a Docker reset would wipe (`backup::schedule`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupSettings {
    /// One backup a day while the app runs.
    pub daily: bool,
    /// Where they go: `backups` in the app's config folder when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    /// How many are kept (the oldest go first).
    pub keep: u32,
}

impl Default for BackupSettings {
    fn default() -> Self {
        Self {
            daily: false,
            dir: None,
            keep: 7,
        }
    }
}

/// Where "Check for Updates…" looks (`updates`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpdatesSettings {
    /// An https update feed (Tauri's `latest.json`) that replaces the one
    /// the release was built with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed_url: Option<String>,
}

/// A well-known IP echo that answers with the address alone.
pub const DEFAULT_IP_ECHO: &str = "https://api.ipify.org";

impl Default for MonitorSettings {
    fn default() -> Self {
        Self {
            probe_target: IpAddr::V4(std::net::Ipv4Addr::new(1, 1, 1, 1)),
            real_ip_url: DEFAULT_IP_ECHO.to_owned(),
            tunnel_ip_url: DEFAULT_IP_ECHO.to_owned(),
        }
    }
}

/// A settings file's text: `Ok(None)` when it does not exist yet.
fn read_file(path: &Path) -> Result<Option<String>, SettingsError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SettingsError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// What a profile name must be (`is_name(name, 32, false)`).
const PROFILE_RULE: &str = "must be 1-32 characters: lowercase letters, digits and '-'";

fn default_profile() -> String {
    "default".to_owned()
}

impl Default for StackSettings {
    fn default() -> Self {
        let downloads = directories::UserDirs::new()
            .and_then(|u| u.download_dir().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("/srv/downloads"));
        Self {
            project: "torrent-vpn".to_owned(),
            network: None,
            gateway_image: DEFAULT_GATEWAY_IMAGE.to_owned(),
            qbittorrent_image: DEFAULT_QBITTORRENT_IMAGE.to_owned(),
            downloads_dir: downloads.join("Torrents"),
            lan_subnets: Vec::new(),
            bind_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            webui_port: 8080,
            control_port: 8000,
            puid: 1000,
            pgid: 1000,
            timezone: "Etc/UTC".to_owned(),
            gateway_env: BTreeMap::new(),
        }
    }
}

impl Default for QbittorrentSettings {
    fn default() -> Self {
        Self {
            username: "admin".to_owned(),
            dht: false,
            lsd: false,
            pex: false,
            upnp: false,
        }
    }
}

/// One field that is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Where: serialized as the dotted path of the TOML file, e.g.
    /// `stack.webui_port` or `stack.lan_subnets[1]`.
    pub field: FieldPath,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<FieldPath>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid settings: {}", join_errors(.0))]
    Invalid(Vec<FieldError>),
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("settings could not be encoded: {0}")]
    Encode(String),
}

fn join_errors(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl SettingsError {
    /// The field errors, when this is a validation failure.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            SettingsError::Invalid(e) => e,
            _ => &[],
        }
    }
}

/// True when `s` is a WireGuard key: standard base64 of exactly 32 bytes.
/// Subnets, one per piece. With `hosts`, a bare
/// address is a host route (`/32`, `/128`), as wg-quick reads it. The error
/// names the piece and the shape expected.
pub fn parse_nets<'a>(
    pieces: impl IntoIterator<Item = &'a str>,
    hosts: bool,
) -> Result<Vec<IpNet>, String> {
    let mut nets = Vec::new();
    for piece in pieces.into_iter().map(str::trim) {
        let net = piece.parse::<IpNet>().ok().or_else(|| {
            hosts
                .then(|| piece.parse::<IpAddr>().ok().map(IpNet::from))
                .flatten()
        });
        match net {
            Some(n) => nets.push(n),
            None if hosts => {
                return Err(format!(
                    "{piece:?} is not an address with a prefix like 10.64.0.2/32"
                ))
            }
            None => return Err(format!("{piece:?} is not a subnet like 192.168.1.0/24")),
        }
    }
    Ok(nets)
}

pub fn is_wireguard_key(s: &str) -> bool {
    s.len() == 44
        && base64::engine::general_purpose::STANDARD
            .decode(s)
            .is_ok_and(|b| b.len() == 32)
}

impl Settings {
    /// Settings with defaults for everything but the VPN, which starts as an
    /// empty custom WireGuard configuration (not valid until filled in).
    pub fn new_custom_wireguard() -> Self {
        Self {
            profile: default_profile(),
            vpn: VpnSettings {
                provider: "custom".to_owned(),
                vpn_type: VpnType::Wireguard,
                server_countries: Vec::new(),
                port_forwarding: false,
                port_forwarding_provider: None,
                wireguard: WireguardSettings::default(),
            },
            stack: StackSettings::default(),
            qbittorrent: QbittorrentSettings::default(),
            docker: DockerSettings::default(),
            monitor: MonitorSettings::default(),
            backup: BackupSettings::default(),
            updates: UpdatesSettings::default(),
        }
    }

    /// Parse and validate TOML text. Errors name the field.
    pub fn from_toml_str(text: &str) -> Result<Self, SettingsError> {
        let de = toml::Deserializer::new(text);
        let settings: Settings = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let message = e.into_inner().message().trim().to_owned();
            let field = if path == "." {
                FieldPath::Reader("(file)".to_owned())
            } else {
                FieldPath::from_reader(&path)
            };
            SettingsError::Invalid(vec![FieldError { field, message }])
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// Parse and validate a JSON value (the settings window sends these).
    pub fn from_json(value: serde_json::Value) -> Result<Self, SettingsError> {
        let settings: Settings = serde_path_to_error::deserialize(value).map_err(|e| {
            let field = FieldPath::from_reader(&e.path().to_string());
            let message = e.into_inner().to_string();
            SettingsError::Invalid(vec![FieldError { field, message }])
        })?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn to_toml_string(&self) -> Result<String, SettingsError> {
        toml::to_string_pretty(self).map_err(|e| SettingsError::Encode(e.to_string()))
    }

    /// Load from a file. `Ok(None)` when the file does not exist yet.
    pub fn load(path: &Path) -> Result<Option<Self>, SettingsError> {
        let Some(text) = read_file(path)? else {
            return Ok(None);
        };
        Self::from_toml_str(&text).map(Some).map_err(|e| match e {
            SettingsError::Invalid(errs) => SettingsError::Parse {
                path: path.to_path_buf(),
                message: join_errors(&errs),
            },
            other => other,
        })
    }

    /// The profile a settings file names, read even when the rest of the
    /// file is not usable, since keychain items are stored under it (a
    /// secret stored during a bad edit still goes to its own profile):
    /// `Ok(None)` when there is no file; an error when the file is not
    /// TOML or its profile name is not usable.
    pub fn profile_in(path: &Path) -> Result<Option<String>, SettingsError> {
        let Some(text) = read_file(path)? else {
            return Ok(None);
        };
        let parse_error = |message: String| SettingsError::Parse {
            path: path.to_path_buf(),
            message,
        };
        let value: toml::Table = toml::from_str(&text).map_err(|e| parse_error(e.to_string()))?;
        let profile = match value.get(Field::Profile.as_str()) {
            None => default_profile(),
            Some(toml::Value::String(p)) if is_name(p, 32, false) => p.clone(),
            Some(_) => {
                return Err(parse_error(format!(
                    "{}: {PROFILE_RULE}",
                    Field::Profile.as_str()
                )))
            }
        };
        Ok(Some(profile))
    }

    /// Validate, then write atomically. On any error nothing is written.
    pub fn save(&self, path: &Path) -> Result<(), SettingsError> {
        self.validate()?;
        let text = self.to_toml_string()?;
        write_atomic(path, text.as_bytes()).map_err(|source| SettingsError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Check every field; returns all problems at once.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let mut errs = Errors::default();
        self.validate_into(&mut errs);
        if errs.0.is_empty() {
            Ok(())
        } else {
            Err(SettingsError::Invalid(errs.0))
        }
    }

    fn validate_into(&self, errs: &mut Errors) {
        if !is_name(&self.profile, 32, false) {
            errs.push(Field::Profile, PROFILE_RULE);
        }
        self.vpn.validate_into(errs);
        self.stack.validate_into(errs);
        if !is_name(&self.qbittorrent.username, 64, true) {
            errs.push(
                Field::QbittorrentUsername,
                "must be 1-64 letters, digits, '-', '_' or '.'",
            );
        }
        if let Some(host) = &self.docker.host {
            if let Err(why) = exposure::check_docker_host(host) {
                errs.push(Field::DockerHost, why);
            }
        }
        // Against the LAN subnets that are valid themselves (a bad one is
        // reported on its own).
        let lan: Vec<_> = self
            .stack
            .lan_subnets
            .iter()
            .filter(|n| exposure::check_lan_subnet(n).is_ok())
            .copied()
            .collect();
        if let Err(why) = exposure::check_probe_target(self.monitor.probe_target, &lan) {
            errs.push(Field::MonitorProbeTarget, why);
        }
        for (field, url) in [
            (Field::MonitorRealIpUrl, &self.monitor.real_ip_url),
            (Field::MonitorTunnelIpUrl, &self.monitor.tunnel_ip_url),
        ] {
            if let Err(why) = crate::http::base_url(url) {
                errs.push(field, format!("{url:?} is not an IP echo's address: {why}"));
            }
        }
        if !(1..=365).contains(&self.backup.keep) {
            errs.push(
                Field::BackupKeep,
                format!("{} is not between 1 and 365 backups", self.backup.keep),
            );
        }
        if let Some(dir) = self.backup.dir.as_ref().filter(|d| !d.is_absolute()) {
            errs.push(
                Field::BackupDir,
                format!("{} is not an absolute path", dir.display()),
            );
        }
        if let Some(feed) = &self.updates.feed_url {
            if let Err(why) = crate::updates::feed_url(feed) {
                errs.push(
                    Field::UpdatesFeedUrl,
                    format!("{feed:?} is not an update feed's address: {why}"),
                );
            }
        }
        // gluetun's own rules, once the fields themselves are well formed.
        if errs.0.is_empty() {
            errs.0
                .extend(gluetun::check_fields(self, &self.gluetun_generations()));
        }
    }

    /// What is allowed but worth a word to the user, by field: a LAN
    /// subnet in the carrier-grade NAT range, a Web UI published on the
    /// LAN.
    pub fn warnings(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        for (i, net) in self.stack.lan_subnets.iter().enumerate() {
            if let Ok(Some(w)) = exposure::check_lan_subnet(net) {
                out.push(FieldError::new(Field::StackLanSubnets.item(i), w));
            }
        }
        if let Ok(Some(w)) = exposure::check_bind_address(self.stack.bind_address) {
            out.push(FieldError::new(Field::StackBindAddress, w));
        }
        out
    }

    /// The gluetun generations the gateway image may be: the one its tag
    /// names, or all of them when the tag says nothing (a digest, a custom
    /// tag). [`crate::stack`] narrows this with the image's version label.
    pub fn gluetun_generations(&self) -> Vec<Generation> {
        image_generations(&self.stack.gateway_image, None)
    }
}

/// The generations an image may be: its `org.opencontainers.image.version`
/// label wins, then its tag; a digest or an unknown tag may be any.
pub fn image_generations(image: &str, version_label: Option<&str>) -> Vec<Generation> {
    let from_label = version_label.and_then(Generation::from_version);
    let name = image.split_once('@').map_or(image, |(n, _)| n);
    let digest_only = image.contains('@') && !has_tag(name);
    let from_tag = if digest_only {
        None
    } else if has_tag(name) {
        Generation::from_version(&name[name.rfind(':').map_or(0, |i| i + 1)..])
    } else {
        Some(Generation::Master) // no tag: `latest`
    };
    match from_label.or(from_tag) {
        Some(g) => vec![g],
        None => Generation::ALL.to_vec(),
    }
}

fn has_tag(name: &str) -> bool {
    let last = name.rsplit('/').next().unwrap_or(name);
    last.contains(':')
}

#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, field: impl Into<FieldPath>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }
}

impl VpnSettings {
    fn validate_into(&self, errs: &mut Errors) {
        let provider_known = PROVIDERS.contains(&self.provider.as_str());
        if !provider_known {
            errs.push(
                Field::VpnProvider,
                format!(
                    "unknown provider {:?}; expected one of: {}",
                    self.provider,
                    PROVIDERS.join(", ")
                ),
            );
        }
        for (i, c) in self.server_countries.iter().enumerate() {
            let ok = !c.trim().is_empty()
                && c.len() <= 64
                && c.chars()
                    .all(|ch| ch.is_alphabetic() || ch == ' ' || ch == '-' || ch == '.');
            if !ok {
                errs.push(
                    Field::VpnServerCountries.item(i),
                    format!("{c:?} is not a country name"),
                );
            }
        }
        if self.vpn_type == VpnType::Wireguard {
            self.wireguard
                .validate_into(self.provider == "custom", errs);
        }
    }
}

impl WireguardSettings {
    fn validate_into(&self, custom: bool, errs: &mut Errors) {
        match self.endpoint {
            Some(ep) if ep.port() == 0 => {
                errs.push(Field::WireguardEndpoint, "port must be between 1 and 65535")
            }
            Some(ep) if ep.ip().is_unspecified() || ep.ip().is_loopback() => errs.push(
                Field::WireguardEndpoint,
                format!("{} is not a VPN server address", ep.ip()),
            ),
            Some(_) => {}
            None if custom => errs.push(
                Field::WireguardEndpoint,
                "required for a custom provider (IP:port)",
            ),
            None => {}
        }
        match &self.public_key {
            Some(k) if !is_wireguard_key(k) => errs.push(
                Field::WireguardPublicKey,
                "must be a WireGuard key: 44 characters of base64 (32 bytes)",
            ),
            Some(_) => {}
            None if custom => {
                errs.push(Field::WireguardPublicKey, "required for a custom provider")
            }
            None => {}
        }
        if self.addresses.is_empty() {
            errs.push(
                Field::WireguardAddresses,
                "at least one address is required, e.g. 10.64.0.2/32",
            );
        }
    }
}

impl StackSettings {
    fn validate_into(&self, errs: &mut Errors) {
        if !is_name(&self.project, 63, false) {
            errs.push(
                Field::StackProject,
                "must be 1-63 characters: lowercase letters, digits and '-'",
            );
        }
        if let Some(n) = &self.network {
            if !is_name(n, 64, true) {
                errs.push(Field::StackNetwork, "not a Docker network name");
            }
        }
        for (field, image) in [
            (Field::StackGatewayImage, &self.gateway_image),
            (Field::StackQbittorrentImage, &self.qbittorrent_image),
        ] {
            if let Err(why) = check_image_ref(image) {
                errs.push(field, why);
            }
        }
        let home = directories::UserDirs::new().map(|u| u.home_dir().to_path_buf());
        if let Err(why) = check_host_path(&self.downloads_dir)
            .and_then(|()| exposure::check_downloads_dir(&self.downloads_dir, home.as_deref()))
        {
            errs.push(Field::StackDownloadsDir, why);
        }
        for (i, net) in self.lan_subnets.iter().enumerate() {
            if let Err(why) = exposure::check_lan_subnet(net) {
                errs.push(Field::StackLanSubnets.item(i), why);
            }
        }
        if let Err(why) = exposure::check_bind_address(self.bind_address) {
            errs.push(Field::StackBindAddress, why);
        }
        for (field, port) in [
            (Field::StackWebuiPort, self.webui_port),
            (Field::StackControlPort, self.control_port),
        ] {
            if port < 1024 {
                errs.push(
                    field,
                    format!("{port} is not allowed: use a port from 1024 to 65535"),
                );
            }
        }
        if self.webui_port == self.control_port {
            errs.push(
                Field::StackControlPort,
                format!(
                    "must differ from {} ({})",
                    Field::StackWebuiPort,
                    self.webui_port
                ),
            );
        }
        if self.puid == 0 {
            errs.push(
                Field::StackPuid,
                "must not be 0: qBittorrent should not run as root",
            );
        }
        if self.pgid == 0 {
            errs.push(
                Field::StackPgid,
                "must not be 0: qBittorrent should not run as root",
            );
        }
        if !is_timezone(&self.timezone) {
            errs.push(
                Field::StackTimezone,
                format!(
                    "{:?} is not a timezone name like Europe/Berlin",
                    self.timezone
                ),
            );
        }
        for (key, value) in &self.gateway_env {
            let field = || Field::StackGatewayEnv.entry(key.as_str());
            let valid_name = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && !key.starts_with(|c: char| c.is_ascii_digit());
            if !valid_name {
                errs.push(field(), "not an environment variable name (A-Z, 0-9, _)");
            } else if MANAGED_ENV.contains(&key.as_str()) {
                errs.push(
                    field(),
                    "is set by Torrent VPN itself; use the matching setting",
                );
            } else if key.starts_with("LAB_") {
                if !cfg!(feature = "lab") {
                    errs.push(
                        field(),
                        "is a knob of the test lab, which this build of Torrent VPN does not \
                         have",
                    );
                }
            } else if SECRET_ENV_MARKERS.iter().any(|m| key.contains(m)) {
                errs.push(
                    field(),
                    "looks like a secret; secrets go to the Keychain, never to container env",
                );
            } else if gluetun::gateway_option(key).is_none() {
                errs.push(
                    field(),
                    format!(
                        "is not an option Torrent VPN passes to gluetun (it passes only ones \
                         that cannot open a way around the tunnel: {})",
                        gluetun::gateway_option_names()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            } else if value.contains('\0') || value.contains('\n') {
                errs.push(field(), "must be a single line");
            }
        }
    }
}

fn is_name(s: &str, max: usize, allow_upper_and_dots: bool) -> bool {
    let first_ok = s.chars().next().is_some_and(|c| {
        c.is_ascii_digit()
            || c.is_ascii_lowercase()
            || (allow_upper_and_dots && c.is_ascii_uppercase())
    });
    first_ok
        && s.len() <= max
        && s.chars().all(|c| {
            c.is_ascii_digit()
                || c.is_ascii_lowercase()
                || c == '-'
                || (allow_upper_and_dots && (c.is_ascii_uppercase() || c == '_' || c == '.'))
        })
}

fn is_timezone(tz: &str) -> bool {
    if tz == "UTC" {
        return true;
    }
    let mut parts = tz.split('/');
    let first = parts.next().unwrap_or_default();
    let ok_part = |p: &str| {
        !p.is_empty()
            && p.starts_with(|c: char| c.is_ascii_uppercase())
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-+".contains(c))
    };
    ok_part(first) && tz.contains('/') && parts.all(ok_part)
}

/// Checks an image reference like `registry:5000/repo/name:tag@sha256:…`.
fn check_image_ref(image: &str) -> Result<(), String> {
    if image.is_empty() {
        return Err("must name an image".to_owned());
    }
    if image.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{image:?} contains spaces"));
    }
    let (name, _digest) = image.split_once('@').unwrap_or((image, ""));
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let repo_end = name[last_slash..]
        .find(':')
        .map_or(name.len(), |i| last_slash + i);
    let (repo, tag) = name.split_at(repo_end);
    let path = repo.split_once('/').map_or(repo, |(first, rest)| {
        if first.contains('.') || first.contains(':') || first == "localhost" {
            rest
        } else {
            repo
        }
    });
    let path_ok = !path.is_empty()
        && path.split('/').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        });
    if !path_ok {
        return Err(format!(
            "{image:?} is not an image name (lowercase repository/name[:tag])"
        ));
    }
    if let Some(tag) = tag.strip_prefix(':') {
        if tag.is_empty()
            || tag.len() > 128
            || !tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            return Err(format!("{image:?} has an invalid tag"));
        }
    }
    Ok(())
}

fn check_host_path(p: &Path) -> Result<(), String> {
    let text = p.to_string_lossy();
    if text.is_empty() {
        return Err("must be set".to_owned());
    }
    if text.contains('\0') || text.contains('\n') {
        return Err("contains a control character".to_owned());
    }
    if !p.is_absolute() {
        return Err(format!("{} is not an absolute path", p.display()));
    }
    if p.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(format!("{} must not contain '..'", p.display()));
    }
    if p.parent().is_none() {
        return Err("must not be the root directory".to_owned());
    }
    if text.contains(':') {
        return Err(format!(
            "{} contains ':', which Docker bind mounts cannot take",
            p.display()
        ));
    }
    Ok(())
}

/// Write `bytes` to `path` atomically: a temp file in the same directory,
/// flushed and synced, then renamed over the target. The directory is created
/// with owner-only permissions when missing.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

#[cfg(test)]
mod tests;
