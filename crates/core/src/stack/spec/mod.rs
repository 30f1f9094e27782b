//! Settings → container definitions: every security setting of the stack,
//! as pure data (unit-tested), plus the in-memory tar that carries secrets.

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, DeviceMapping, HealthConfig, HostConfig, Mount, MountType, PortBinding,
    RestartPolicy, RestartPolicyNameEnum,
};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::labels;
use crate::secrets::SecretKind;
use crate::settings::{Settings, VpnType};

/// Where secrets are delivered inside the gateway; gluetun reads
/// `/run/secrets/<setting name in lower case>` by default.
pub const SECRETS_DIR: &str = "/run/secrets";
/// The control-server auth config, delivered next to the secrets (never in
/// the `/gluetun` volume).
pub const AUTH_CONFIG_PATH: &str = "/run/secrets/gluetun_auth.toml";
/// The tunnel interface qBittorrent binds to.
pub const VPN_INTERFACE: &str = "tun0";
/// gluetun's control server port inside the container.
pub const CONTROL_PORT: u16 = 8000;
/// Docker's security option that stops privilege gains by exec.
pub const NO_NEW_PRIVILEGES: &str = "no-new-privileges:true";
/// The qBittorrent service name (labels, container name).
pub const QBITTORRENT: &str = "qbittorrent";

/// Names of everything the stack creates, derived from the project name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackNames {
    pub project: String,
    pub gateway: String,
    pub network: String,
    /// True when the network is the app's own (created and removed by it).
    pub own_network: bool,
    pub gluetun_volume: String,
}

impl StackNames {
    pub fn new(settings: &Settings) -> Self {
        let p = &settings.stack.project;
        Self {
            project: p.clone(),
            gateway: format!("{p}-gateway"),
            network: settings.stack.network.clone().unwrap_or_else(|| p.clone()),
            own_network: settings.stack.network.is_none(),
            gluetun_volume: format!("{p}_gluetun"),
        }
    }

    pub fn service(&self, service: &str) -> String {
        format!("{}-{service}", self.project)
    }

    pub fn config_volume(&self, service: &str) -> String {
        format!("{}_{service}-config", self.project)
    }
}

/// The secrets a gateway needs, read from the store for one connect.
pub struct GatewaySecrets {
    /// The VPN's secrets, each delivered as the file gluetun reads it from
    /// ([`SecretKind::gateway_file`]).
    pub vpn: Vec<(SecretKind, SecretString)>,
    pub control_api_key: SecretString,
}

/// The secret kinds a gateway of this VPN type reads.
pub fn vpn_secret_kinds(vpn_type: VpnType) -> &'static [SecretKind] {
    match vpn_type {
        VpnType::Wireguard => &[
            SecretKind::WireguardPrivateKey,
            SecretKind::WireguardPresharedKey,
        ],
        VpnType::Openvpn => &[
            SecretKind::OpenvpnUser,
            SecretKind::OpenvpnPassword,
            SecretKind::OpenvpnClientCert,
            SecretKind::OpenvpnClientKey,
            SecretKind::OpenvpnEncryptedKey,
            SecretKind::OpenvpnKeyPassphrase,
        ],
    }
}

/// Labels common to everything of one stack.
pub fn base_labels(settings: &Settings, role: &str, service: &str) -> HashMap<String, String> {
    let compose_service = if role == "gateway" {
        "gateway"
    } else {
        service
    };
    HashMap::from([
        (labels::MANAGED.to_owned(), "1".to_owned()),
        (labels::PROFILE.to_owned(), settings.profile.clone()),
        (labels::ROLE.to_owned(), role.to_owned()),
        (labels::SERVICE.to_owned(), service.to_owned()),
        (
            labels::COMPOSE_PROJECT.to_owned(),
            settings.stack.project.clone(),
        ),
        (
            labels::COMPOSE_SERVICE.to_owned(),
            compose_service.to_owned(),
        ),
        (labels::COMPOSE_ONEOFF.to_owned(), "False".to_owned()),
        (labels::COMPOSE_CONTAINER_NUMBER.to_owned(), "1".to_owned()),
    ])
}

/// The gateway's environment. It never contains a secret: those are files.
pub fn gateway_env(settings: &Settings) -> Vec<String> {
    let vpn = &settings.vpn;
    let mut env: Vec<(String, String)> = vec![
        ("VPN_SERVICE_PROVIDER".into(), vpn.provider.clone()),
        ("VPN_TYPE".into(), vpn.vpn_type.as_str().into()),
        ("VPN_INTERFACE".into(), VPN_INTERFACE.into()),
        (
            "HTTP_CONTROL_SERVER_ADDRESS".into(),
            format!(":{CONTROL_PORT}"),
        ),
        (
            "HTTP_CONTROL_SERVER_AUTH_CONFIG_FILEPATH".into(),
            AUTH_CONFIG_PATH.into(),
        ),
        (
            "VPN_PORT_FORWARDING".into(),
            if vpn.port_forwarding { "on" } else { "off" }.into(),
        ),
        // The app polls the control server twice a second: gluetun would
        // log every request at INFO (`middlewares/log`).
        ("HTTP_CONTROL_SERVER_LOG".into(), "off".into()),
        // The tray's VPN IP comes from gluetun's public IP lookup.
        ("PUBLICIP_ENABLED".into(), "on".into()),
        // gluetun's own DNS server, with DNS over TLS upstream: queries
        // leave only through the tunnel.
        ("DNS_SERVER".into(), "on".into()),
        ("DNS_UPSTREAM_RESOLVER_TYPE".into(), "dot".into()),
        ("PUID".into(), settings.stack.puid.to_string()),
        ("PGID".into(), settings.stack.pgid.to_string()),
        ("TZ".into(), settings.stack.timezone.clone()),
    ];
    if vpn.vpn_type == VpnType::Wireguard {
        let wg = &vpn.wireguard;
        let addrs: Vec<String> = wg.addresses.iter().map(ToString::to_string).collect();
        env.push(("WIREGUARD_ADDRESSES".into(), addrs.join(",")));
        if let Some(k) = &wg.public_key {
            env.push(("WIREGUARD_PUBLIC_KEY".into(), k.clone()));
        }
        if let Some(ep) = wg.endpoint {
            env.push(("WIREGUARD_ENDPOINT_IP".into(), ep.ip().to_string()));
            env.push(("WIREGUARD_ENDPOINT_PORT".into(), ep.port().to_string()));
        }
    }
    if let (true, Some(p)) = (vpn.port_forwarding, vpn.port_forwarding_provider) {
        env.push(("VPN_PORT_FORWARDING_PROVIDER".into(), p.name().into()));
    }
    if !vpn.server_countries.is_empty() {
        env.push(("SERVER_COUNTRIES".into(), vpn.server_countries.join(",")));
    }
    if !settings.stack.lan_subnets.is_empty() {
        let nets: Vec<String> = settings
            .stack
            .lan_subnets
            .iter()
            .map(ToString::to_string)
            .collect();
        env.push(("FIREWALL_OUTBOUND_SUBNETS".into(), nets.join(",")));
    }
    // Extra options override the defaults above (validation keeps the
    // managed and secret names out).
    for (k, v) in &settings.stack.gateway_env {
        env.retain(|(key, _)| key != k);
        env.push((k.clone(), v.clone()));
    }
    env.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// A hash of everything that defines the gateway; a running gateway with a
/// different hash was made from other settings and is recreated.
pub fn spec_hash(body: &ContainerCreateBody) -> String {
    // Through `Value`, whose maps are sorted, so the hash is stable.
    let json = serde_json::to_value(body)
        .and_then(|v| serde_json::to_vec(&v))
        .unwrap_or_default();
    Sha256::digest(&json)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn port_key(port: u16) -> String {
    format!("{port}/tcp")
}

/// A keyed hash (HMAC-SHA256, keyed with the control-server key) of the
/// VPN's secrets, for a label: equal secrets give equal hashes, and the
/// label tells nothing about them without the key.
pub fn secrets_hash(key: &SecretString, secrets: &[(SecretKind, SecretString)]) -> String {
    use hmac::Mac;
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(key.expose_secret().as_bytes()) else {
        return String::new();
    };
    let mut sorted: Vec<_> = secrets.iter().collect();
    sorted.sort_by_key(|(kind, _)| kind.key());
    for (kind, value) in sorted {
        mac.update(kind.key().as_bytes());
        mac.update(&[0]);
        mac.update(value.expose_secret().as_bytes());
        mac.update(&[0]);
    }
    mac.finalize()
        .into_bytes()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The hash of qBittorrent's definition, whatever gateway it joins: a
/// changed downloads folder or image makes a new container.
pub fn service_spec_hash(settings: &Settings, names: &StackNames) -> String {
    spec_hash(&qbittorrent_body_unhashed(settings, names, ""))
}

/// The gateway container: NET_ADMIN and /dev/net/tun only, IPv6 off, the
/// Web UI and control ports published on the bind address (control always
/// on loopback), restart unless stopped, a healthcheck like gluetun's.
pub fn gateway_body(settings: &Settings, names: &StackNames) -> ContainerCreateBody {
    let st = &settings.stack;
    let mut port_bindings = HashMap::new();
    port_bindings.insert(
        port_key(st.webui_port),
        Some(vec![PortBinding {
            host_ip: Some(st.bind_address.to_string()),
            host_port: Some(st.webui_port.to_string()),
        }]),
    );
    port_bindings.insert(
        port_key(CONTROL_PORT),
        Some(vec![PortBinding {
            host_ip: Some("127.0.0.1".to_owned()),
            host_port: Some(st.control_port.to_string()),
        }]),
    );
    let exposed: Vec<String> = vec![port_key(st.webui_port), port_key(CONTROL_PORT)];
    let mut body = ContainerCreateBody {
        image: Some(st.gateway_image.clone()),
        env: Some(gateway_env(settings)),
        labels: Some(base_labels(settings, "gateway", "gateway")),
        exposed_ports: Some(exposed),
        healthcheck: Some(HealthConfig {
            test: Some(vec![
                "CMD".into(),
                "/gluetun-entrypoint".into(),
                "healthcheck".into(),
            ]),
            interval: Some(5_000_000_000),
            timeout: Some(5_000_000_000),
            start_period: Some(10_000_000_000),
            retries: Some(3),
            start_interval: None,
        }),
        host_config: Some(HostConfig {
            // NET_ADMIN is the only capability added; no process in it may
            // gain privileges through a setuid or file-capability binary.
            cap_add: Some(vec!["NET_ADMIN".into()]),
            security_opt: Some(vec![NO_NEW_PRIVILEGES.into()]),
            devices: Some(vec![DeviceMapping {
                path_on_host: Some("/dev/net/tun".into()),
                path_in_container: Some("/dev/net/tun".into()),
                cgroup_permissions: Some("rwm".into()),
            }]),
            sysctls: Some(HashMap::from([
                ("net.ipv6.conf.all.disable_ipv6".to_owned(), "1".to_owned()),
                (
                    "net.ipv6.conf.default.disable_ipv6".to_owned(),
                    "1".to_owned(),
                ),
            ])),
            port_bindings: Some(port_bindings),
            restart_policy: Some(RestartPolicy {
                name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
                maximum_retry_count: None,
            }),
            mounts: Some(vec![Mount {
                target: Some("/gluetun".into()),
                source: Some(names.gluetun_volume.clone()),
                typ: Some(MountType::VOLUME),
                ..Default::default()
            }]),
            network_mode: Some(names.network.clone()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let hash = spec_hash(&body);
    if let Some(l) = body.labels.as_mut() {
        l.insert(labels::SPEC_HASH.to_owned(), hash);
    }
    body
}

/// qBittorrent inside the gateway's namespace: no ports and no network of its
/// own, no restart policy (the app starts it only once the tunnel is up),
/// config in a named volume, downloads bind-mounted.
pub fn qbittorrent_body(
    settings: &Settings,
    names: &StackNames,
    gateway_id: &str,
) -> ContainerCreateBody {
    let mut body = qbittorrent_body_unhashed(settings, names, gateway_id);
    let hash = service_spec_hash(settings, names);
    if let Some(l) = body.labels.as_mut() {
        l.insert(labels::SPEC_HASH.to_owned(), hash);
    }
    body
}

fn qbittorrent_body_unhashed(
    settings: &Settings,
    names: &StackNames,
    gateway_id: &str,
) -> ContainerCreateBody {
    let st = &settings.stack;
    ContainerCreateBody {
        image: Some(st.qbittorrent_image.clone()),
        env: Some(vec![
            format!("PUID={}", st.puid),
            format!("PGID={}", st.pgid),
            format!("TZ={}", st.timezone),
            format!("WEBUI_PORT={}", st.webui_port),
        ]),
        labels: Some(base_labels(settings, "service", QBITTORRENT)),
        host_config: Some(HostConfig {
            network_mode: Some(format!("container:{gateway_id}")),
            security_opt: Some(vec![NO_NEW_PRIVILEGES.into()]),
            restart_policy: Some(RestartPolicy {
                name: Some(RestartPolicyNameEnum::NO),
                maximum_retry_count: None,
            }),
            mounts: Some(vec![
                Mount {
                    target: Some("/config".into()),
                    source: Some(names.config_volume(QBITTORRENT)),
                    typ: Some(MountType::VOLUME),
                    ..Default::default()
                },
                Mount {
                    target: Some("/downloads".into()),
                    source: Some(st.downloads_dir.to_string_lossy().into_owned()),
                    typ: Some(MountType::BIND),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The files the gateway reads its secrets from, at gluetun's default paths.
pub fn secret_files(
    settings: &Settings,
    s: &GatewaySecrets,
    auth_config: SecretString,
) -> Vec<(String, SecretString)> {
    let mut files = vec![(AUTH_CONFIG_PATH.to_owned(), auth_config)];
    let kinds = vpn_secret_kinds(settings.vpn.vpn_type);
    for (kind, value) in &s.vpn {
        if let (true, Some(name)) = (kinds.contains(kind), kind.gateway_file()) {
            files.push((
                format!("{SECRETS_DIR}/{name}"),
                SecretString::from(value.expose_secret().to_owned()),
            ));
        }
    }
    files
}

/// An in-memory tar of `files` (absolute paths), owned by root with mode
/// 0400, with their directories. Extract it at `/`.
pub fn secrets_tar(files: &[(String, SecretString)]) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut dirs: Vec<String> = Vec::new();
    for (path, _) in files {
        let rel = path.trim_start_matches('/');
        let mut acc = String::new();
        if let Some((parent, _)) = rel.rsplit_once('/') {
            for part in parent.split('/') {
                if !acc.is_empty() {
                    acc.push('/');
                }
                acc.push_str(part);
                if !dirs.contains(&acc) {
                    dirs.push(acc.clone());
                }
            }
        }
    }
    for d in &dirs {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(if d == "run" { 0o755 } else { 0o700 });
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(0);
        h.set_mtime(0);
        builder.append_data(&mut h, format!("{d}/"), std::io::empty())?;
    }
    for (path, value) in files {
        let bytes = value.expose_secret().as_bytes();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o400);
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(bytes.len() as u64);
        h.set_mtime(0);
        builder.append_data(&mut h, path.trim_start_matches('/'), bytes)?;
    }
    builder.into_inner()
}

#[cfg(test)]
mod tests;
