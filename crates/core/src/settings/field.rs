//! The names of settings, as errors, the import plan and the settings
//! window use them.
//!
//! A [`Field`] is one setting of the file (or one Keychain item, which
//! errors name like a field); its [`as_str`](Field::as_str) is the dotted
//! path as in `settings.toml` (`vpn.wireguard.endpoint`) or
//! `secrets.<kind>`. A [`FieldPath`] is where an error points: a field, one
//! item of a list field (`stack.lan_subnets[1]`) or one entry of a table
//! field (`stack.gateway_env.LOG_LEVEL`). Both show as that text, which is
//! what the window matches its `data-error-for` slots against.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::secrets::SecretKind;

/// One setting of the settings file, or one Keychain item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Profile,
    VpnProvider,
    VpnType,
    VpnServerCountries,
    VpnPortForwarding,
    VpnPortForwardingProvider,
    WireguardEndpoint,
    WireguardPublicKey,
    WireguardAddresses,
    StackProject,
    StackNetwork,
    StackGatewayImage,
    StackQbittorrentImage,
    StackDownloadsDir,
    StackLanSubnets,
    StackBindAddress,
    StackWebuiPort,
    StackControlPort,
    StackPuid,
    StackPgid,
    StackTimezone,
    StackGatewayEnv,
    QbittorrentUsername,
    QbittorrentDht,
    QbittorrentLsd,
    QbittorrentPex,
    QbittorrentUpnp,
    DockerHost,
    MonitorProbeTarget,
    MonitorRealIpUrl,
    MonitorTunnelIpUrl,
    BackupDaily,
    BackupDir,
    BackupKeep,
    UpdatesFeedUrl,
    /// A Keychain item, named `secrets.<kind>`.
    Secret(SecretKind),
}

impl Field {
    /// Every field: each setting of the file, then each Keychain item.
    pub const ALL: [Field; 45] = [
        Field::Profile,
        Field::VpnProvider,
        Field::VpnType,
        Field::VpnServerCountries,
        Field::VpnPortForwarding,
        Field::VpnPortForwardingProvider,
        Field::WireguardEndpoint,
        Field::WireguardPublicKey,
        Field::WireguardAddresses,
        Field::StackProject,
        Field::StackNetwork,
        Field::StackGatewayImage,
        Field::StackQbittorrentImage,
        Field::StackDownloadsDir,
        Field::StackLanSubnets,
        Field::StackBindAddress,
        Field::StackWebuiPort,
        Field::StackControlPort,
        Field::StackPuid,
        Field::StackPgid,
        Field::StackTimezone,
        Field::StackGatewayEnv,
        Field::QbittorrentUsername,
        Field::QbittorrentDht,
        Field::QbittorrentLsd,
        Field::QbittorrentPex,
        Field::QbittorrentUpnp,
        Field::DockerHost,
        Field::MonitorProbeTarget,
        Field::MonitorRealIpUrl,
        Field::MonitorTunnelIpUrl,
        Field::BackupDaily,
        Field::BackupDir,
        Field::BackupKeep,
        Field::UpdatesFeedUrl,
        Field::Secret(SecretKind::WireguardPrivateKey),
        Field::Secret(SecretKind::WireguardPresharedKey),
        Field::Secret(SecretKind::OpenvpnUser),
        Field::Secret(SecretKind::OpenvpnPassword),
        Field::Secret(SecretKind::OpenvpnClientCert),
        Field::Secret(SecretKind::OpenvpnClientKey),
        Field::Secret(SecretKind::OpenvpnEncryptedKey),
        Field::Secret(SecretKind::OpenvpnKeyPassphrase),
        Field::Secret(SecretKind::QbittorrentPassword),
        Field::Secret(SecretKind::ControlApiKey),
    ];

    /// The dotted path as in the settings file (`stack.webui_port`), or
    /// `secrets.<kind>` for a Keychain item.
    pub const fn as_str(self) -> &'static str {
        match self {
            Field::Profile => "profile",
            Field::VpnProvider => "vpn.provider",
            Field::VpnType => "vpn.type",
            Field::VpnServerCountries => "vpn.server_countries",
            Field::VpnPortForwarding => "vpn.port_forwarding",
            Field::VpnPortForwardingProvider => "vpn.port_forwarding_provider",
            Field::WireguardEndpoint => "vpn.wireguard.endpoint",
            Field::WireguardPublicKey => "vpn.wireguard.public_key",
            Field::WireguardAddresses => "vpn.wireguard.addresses",
            Field::StackProject => "stack.project",
            Field::StackNetwork => "stack.network",
            Field::StackGatewayImage => "stack.gateway_image",
            Field::StackQbittorrentImage => "stack.qbittorrent_image",
            Field::StackDownloadsDir => "stack.downloads_dir",
            Field::StackLanSubnets => "stack.lan_subnets",
            Field::StackBindAddress => "stack.bind_address",
            Field::StackWebuiPort => "stack.webui_port",
            Field::StackControlPort => "stack.control_port",
            Field::StackPuid => "stack.puid",
            Field::StackPgid => "stack.pgid",
            Field::StackTimezone => "stack.timezone",
            Field::StackGatewayEnv => "stack.gateway_env",
            Field::QbittorrentUsername => "qbittorrent.username",
            Field::QbittorrentDht => "qbittorrent.dht",
            Field::QbittorrentLsd => "qbittorrent.lsd",
            Field::QbittorrentPex => "qbittorrent.pex",
            Field::QbittorrentUpnp => "qbittorrent.upnp",
            Field::DockerHost => "docker.host",
            Field::MonitorProbeTarget => "monitor.probe_target",
            Field::MonitorRealIpUrl => "monitor.real_ip_url",
            Field::MonitorTunnelIpUrl => "monitor.tunnel_ip_url",
            Field::BackupDaily => "backup.daily",
            Field::BackupDir => "backup.dir",
            Field::BackupKeep => "backup.keep",
            Field::UpdatesFeedUrl => "updates.feed_url",
            Field::Secret(kind) => match kind {
                SecretKind::WireguardPrivateKey => "secrets.wireguard-private-key",
                SecretKind::WireguardPresharedKey => "secrets.wireguard-preshared-key",
                SecretKind::OpenvpnUser => "secrets.openvpn-user",
                SecretKind::OpenvpnPassword => "secrets.openvpn-password",
                SecretKind::OpenvpnClientCert => "secrets.openvpn-client-cert",
                SecretKind::OpenvpnClientKey => "secrets.openvpn-client-key",
                SecretKind::OpenvpnEncryptedKey => "secrets.openvpn-encrypted-key",
                SecretKind::OpenvpnKeyPassphrase => "secrets.openvpn-key-passphrase",
                SecretKind::QbittorrentPassword => "secrets.qbittorrent-password",
                SecretKind::ControlApiKey => "secrets.control-api-key",
            },
        }
    }

    /// One item of this list field: `stack.lan_subnets[1]`.
    pub fn item(self, index: usize) -> FieldPath {
        FieldPath::Item(self, index)
    }

    /// One entry of this table field: `stack.gateway_env.LOG_LEVEL`.
    pub fn entry(self, key: impl Into<String>) -> FieldPath {
        FieldPath::Entry(self, key.into())
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The text is not the name of a field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a settings field")]
pub struct UnknownField(pub String);

impl FromStr for Field {
    type Err = UnknownField;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Field::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownField(s.to_owned()))
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Where an error points.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldPath {
    /// A whole field.
    Field(Field),
    /// One item of a list field: `stack.lan_subnets[1]`.
    Item(Field, usize),
    /// One entry of a table field: `stack.gateway_env.LOG_LEVEL`.
    Entry(Field, String),
    /// A place the TOML or JSON reader named that is no field of its own: a
    /// table with a key it does not know (`vpn`), or the whole file
    /// (`(file)`).
    Reader(String),
}

impl FieldPath {
    /// The field this path is in; `None` for a place the reader named.
    pub fn field(&self) -> Option<Field> {
        match self {
            FieldPath::Field(f) | FieldPath::Item(f, _) | FieldPath::Entry(f, _) => Some(*f),
            FieldPath::Reader(_) => None,
        }
    }

    /// A path as the settings reader reports it (serde's dotted path,
    /// `[i]` for list items): a field, an item or an entry when it is one,
    /// otherwise kept as written.
    pub fn from_reader(path: &str) -> Self {
        if let Ok(f) = path.parse::<Field>() {
            return FieldPath::Field(f);
        }
        if let Some((base, rest)) = path.split_once('[') {
            if let (Ok(f), Some(Ok(i))) = (
                base.parse::<Field>(),
                rest.strip_suffix(']').map(str::parse::<usize>),
            ) {
                return FieldPath::Item(f, i);
            }
        }
        if let Some((base, key)) = path.rsplit_once('.') {
            if let Ok(f @ Field::StackGatewayEnv) = base.parse::<Field>() {
                return FieldPath::Entry(f, key.to_owned());
            }
        }
        FieldPath::Reader(path.to_owned())
    }
}

impl From<Field> for FieldPath {
    fn from(f: Field) -> Self {
        FieldPath::Field(f)
    }
}

impl PartialEq<Field> for FieldPath {
    fn eq(&self, other: &Field) -> bool {
        *self == FieldPath::Field(*other)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldPath::Field(field) => f.write_str(field.as_str()),
            FieldPath::Item(field, i) => write!(f, "{field}[{i}]"),
            FieldPath::Entry(field, key) => write!(f, "{field}.{key}"),
            FieldPath::Reader(path) => f.write_str(path),
        }
    }
}

impl Serialize for FieldPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
