//! The test lab's demo profile (`lab` feature only): a custom WireGuard
//! server at the lab's VPN, with the lab's router as the gateway's uplink
//! and its DNS server and echo service as the gateway's upstream and health
//! targets. `scripts/lab up` writes it with `tvpn lab-demo` into the lab's
//! own config folder (`lab/.state/demo-config`), and "Try the demo" writes
//! it into the app's; both go through [`write`], so the profile is
//! validated and stored with its keys all or nothing ([`super::commit`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use ipnet::IpNet;

use super::{commit, CommitError, Committed, PortForwardProvider, Settings};
use crate::secrets::{SecretKind, SecretStore, SecretString};

/// The profile the demo's settings and keys are stored under.
pub const PROFILE: &str = "lab-demo";

/// The lab's addresses and names, as `lab/lib/topology.sh` sets them up.
pub mod topology {
    use std::net::Ipv4Addr;

    /// The network the gateway joins; the router is its uplink there.
    pub const NET_LAN: &str = "tvpn-lab-lan";
    /// The lab VPN server's address (and the demo's exit IP).
    pub const EXIT_IP: Ipv4Addr = Ipv4Addr::new(10, 222, 0, 3);
    /// The echo service: the probe and health target.
    pub const ECHO_IP: Ipv4Addr = Ipv4Addr::new(10, 222, 0, 10);
    /// The router on the LAN network.
    pub const ROUTER_LAN_IP: Ipv4Addr = Ipv4Addr::new(10, 221, 0, 2);
    /// The lab's DNS server.
    pub const DNS_IP: Ipv4Addr = Ipv4Addr::new(10, 222, 0, 53);
    /// The router's relay to the echo, on its LAN address: what this
    /// machine's real address looks like to the internet.
    pub const ROUTER_ECHO_RELAY_PORT: u16 = 8080;
}

/// The lab's WireGuard port.
const VPN_PORT: u16 = 51820;
/// The client's address in the tunnel (a host route, `/32`).
const CLIENT_IP: Ipv4Addr = Ipv4Addr::new(10, 66, 66, 2);

/// The lab's state folder (`lab/.state`), which `scripts/lab up` fills:
/// fresh WireGuard keys in `keys/` at every `up`, the demo's downloads in
/// `demo-downloads/`, and its own copy of the demo profile in
/// `demo-config/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabState {
    dir: PathBuf,
}

impl LabState {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The lab's own config folder, where `scripts/lab up` writes the demo
    /// profile (`eval "$(scripts/lab env)"` uses it).
    pub fn config_dir(&self) -> PathBuf {
        self.dir.join("demo-config")
    }

    /// The demo's downloads folder.
    pub fn downloads_dir(&self) -> PathBuf {
        self.dir.join("demo-downloads")
    }

    fn key_file(&self, name: &str) -> PathBuf {
        self.dir.join("keys").join(name)
    }

    /// One of the lab's keys, as `scripts/lab up` wrote it (one line).
    fn key(&self, name: &str) -> Result<String, DemoError> {
        let path = self.key_file(name);
        let text = std::fs::read_to_string(&path).map_err(|source| DemoError::Key {
            path: path.clone(),
            source,
        })?;
        let key = text.trim();
        if !super::is_wireguard_key(key) {
            return Err(DemoError::NotAKey(path));
        }
        Ok(key.to_owned())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{}: {source}; the lab has made no keys yet: run ./scripts/lab up", .path.display())]
    Key {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a WireGuard key; run ./scripts/lab up again", .0.display())]
    NotAKey(PathBuf),
    #[error("the demo's downloads folder {}: {source}", .path.display())]
    Downloads {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Commit(#[from] CommitError),
}

/// The demo profile for the lab in `lab`, and the client's keys for the
/// Keychain. The downloads folder is made when missing: qBittorrent runs as
/// its owner (1000 when that is root, as the lab's images expect).
pub fn profile(lab: &LabState) -> Result<(Settings, Vec<(SecretKind, SecretString)>), DemoError> {
    let server_key = lab.key("server.pub")?;
    let secrets = vec![
        (
            SecretKind::WireguardPrivateKey,
            SecretString::from(lab.key("client.key")?),
        ),
        (
            SecretKind::WireguardPresharedKey,
            SecretString::from(lab.key("psk")?),
        ),
    ];
    let downloads = lab.downloads_dir();
    let (puid, pgid) = owner_ids(&downloads).map_err(|source| DemoError::Downloads {
        path: downloads.clone(),
        source,
    })?;

    let mut s = Settings::new_custom_wireguard();
    s.profile = PROFILE.to_owned();
    s.vpn.port_forwarding = true;
    s.vpn.port_forwarding_provider = Some(PortForwardProvider::Protonvpn);
    s.vpn.wireguard.endpoint = Some(SocketAddr::new(topology::EXIT_IP.into(), VPN_PORT));
    s.vpn.wireguard.public_key = Some(server_key);
    s.vpn.wireguard.addresses = vec![IpNet::from(IpAddr::V4(CLIENT_IP))];
    let stack = &mut s.stack;
    stack.project = "tvpn-lab-demo".to_owned();
    stack.network = Some(topology::NET_LAN.to_owned());
    stack.gateway_image = "tvpn-lab/gateway:latest".to_owned();
    stack.qbittorrent_image = "tvpn-lab/qbittorrent:5.1".to_owned();
    stack.downloads_dir = downloads;
    stack.lan_subnets = Vec::new();
    stack.bind_address = IpAddr::V4(Ipv4Addr::LOCALHOST);
    stack.webui_port = 18080;
    stack.control_port = 18000;
    stack.puid = puid;
    stack.pgid = pgid;
    stack.timezone = "Etc/UTC".to_owned();
    let echo = topology::ECHO_IP;
    stack.gateway_env = [
        ("LAB_UPLINK", topology::ROUTER_LAN_IP.to_string()),
        ("DNS_UPSTREAM_RESOLVER_TYPE", "plain".to_owned()),
        (
            "DNS_UPSTREAM_PLAIN_ADDRESSES",
            format!("{}:53", topology::DNS_IP),
        ),
        ("HEALTH_TARGET_ADDRESSES", format!("{echo}:80")),
        ("HEALTH_ICMP_TARGET_IPS", echo.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    s.monitor.probe_target = IpAddr::V4(echo);
    // The real address as this machine sees it: through the ISP router's
    // relay (the echo sees the router's WAN address); through the tunnel:
    // the echo itself.
    s.monitor.real_ip_url = format!(
        "http://{}:{}/",
        topology::ROUTER_LAN_IP,
        topology::ROUTER_ECHO_RELAY_PORT
    );
    s.monitor.tunnel_ip_url = format!("http://{echo}/");
    Ok((s, secrets))
}

/// Writes the demo profile for `lab` to `settings_file` and, when `store`
/// is given, its keys to the Keychain under [`PROFILE`]: all or nothing.
pub fn write(
    lab: &LabState,
    settings_file: &Path,
    store: Option<&dyn SecretStore>,
) -> Result<Committed, DemoError> {
    let (settings, secrets) = profile(lab)?;
    let secrets = if store.is_some() { secrets } else { Vec::new() };
    Ok(commit(settings_file, &settings, &secrets, store)?)
}

/// The owner of `dir` (made when missing) as PUID and PGID; 1000 for root.
fn owner_ids(dir: &Path) -> std::io::Result<(u32, u32)> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(dir)?;
        Ok(match (meta.uid(), meta.gid()) {
            (0, _) => (1000, 1000),
            ids => ids,
        })
    }
    #[cfg(not(unix))]
    {
        Ok((1000, 1000))
    }
}
