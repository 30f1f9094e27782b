//! A docker compose `.env` file's variables as settings and secrets.
//!
//! [`VARS`] is the whole mapping: one [`EnvVar`] per variable gluetun (or
//! the qBittorrent image) reads, each naming the [`Field`] it fills (a
//! secret's is `secrets.<kind>`) and the function that reads its value
//! into the plan. A variable that is not in the table is left in the file.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Component, Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use super::builder::{parse_nets, Builder, Built, Origin, NOT_A_KEY};
use super::envfile::EnvFile;
use super::{Format, ImportContext, ImportError};
use crate::secrets::SecretKind;
use crate::settings::{
    is_wireguard_key, Field, PortForwardProvider, VpnType, PORT_FORWARDING_PROVIDERS, PROVIDERS,
};

/// Reads a variable's value into the plan. Only a secret's entry may not
/// show the value.
type Apply = fn(&mut EnvPlan<'_, '_>, &EnvVar, &Origin, &SecretString) -> Outcome;

/// The problem to report on the variable's line, if any.
type Outcome = Result<(), String>;

/// One `.env` variable the import reads.
pub(super) struct EnvVar {
    /// The variable, as written in the file.
    pub name: &'static str,
    /// The setting it fills, or `secrets.<kind>` for a Keychain item.
    pub field: Field,
    apply: Apply,
    /// For another name of a setting (one of gluetun's older names, its
    /// `reader.RetroKeys`, or a common one like `LOCAL_SUBNET`): the name
    /// every entry of that setting shares. A file should set only one.
    pub same_as: Option<&'static str>,
}

impl EnvVar {
    const fn setting(name: &'static str, field: Field, apply: Apply) -> Self {
        Self {
            name,
            field,
            apply,
            same_as: None,
        }
    }

    /// A secret: its value goes to the keychain and is never shown.
    const fn secret(name: &'static str, kind: SecretKind) -> Self {
        Self::setting(name, Field::Secret(kind), keychain)
    }

    const fn same_as(self, name: &'static str) -> Self {
        Self {
            same_as: Some(name),
            ..self
        }
    }

    /// The Keychain item the value is stored as, for a secret.
    pub fn secret_kind(&self) -> Option<SecretKind> {
        match self.field {
            Field::Secret(kind) => Some(kind),
            _ => None,
        }
    }

    /// The name every name of this setting shares (see `same_as`).
    fn setting_name(&self) -> &'static str {
        self.same_as.unwrap_or(self.name)
    }
}

/// Every imported variable, in the order they are applied. When a file
/// sets one setting under two of its names, the one later in this table
/// is kept (the one gluetun reads) and the plan says so.
#[rustfmt::skip]
pub(super) static VARS: [EnvVar; 29] = [
    EnvVar::setting("VPN_SERVICE_PROVIDER", Field::VpnProvider, provider),
    EnvVar::setting("VPNSP", Field::VpnProvider, provider).same_as("VPN_SERVICE_PROVIDER"),
    EnvVar::setting("VPN_TYPE", Field::VpnType, vpn_type),
    EnvVar::secret("WIREGUARD_PRIVATE_KEY", SecretKind::WireguardPrivateKey),
    EnvVar::setting("WIREGUARD_ADDRESSES", Field::WireguardAddresses, addresses),
    EnvVar::setting("WIREGUARD_ADDRESS", Field::WireguardAddresses, addresses).same_as("WIREGUARD_ADDRESSES"),
    EnvVar::secret("WIREGUARD_PRESHARED_KEY", SecretKind::WireguardPresharedKey),
    EnvVar::setting("WIREGUARD_PUBLIC_KEY", Field::WireguardPublicKey, public_key),
    EnvVar::setting("WIREGUARD_ENDPOINT_IP", Field::WireguardEndpoint, endpoint_ip),
    EnvVar::setting("WIREGUARD_ENDPOINT_PORT", Field::WireguardEndpoint, endpoint_port),
    EnvVar::secret("OPENVPN_USER", SecretKind::OpenvpnUser),
    EnvVar::secret("OPENVPN_PASSWORD", SecretKind::OpenvpnPassword),
    EnvVar::setting("COUNTRY", Field::VpnServerCountries, countries).same_as("SERVER_COUNTRIES"),
    EnvVar::setting("SERVER_COUNTRIES", Field::VpnServerCountries, countries),
    EnvVar::setting("PRIVATE_INTERNET_ACCESS_VPN_PORT_FORWARDING", Field::VpnPortForwarding, port_forwarding).same_as("VPN_PORT_FORWARDING"),
    EnvVar::setting("PORT_FORWARDING", Field::VpnPortForwarding, port_forwarding).same_as("VPN_PORT_FORWARDING"),
    EnvVar::setting("VPN_PORT_FORWARDING", Field::VpnPortForwarding, port_forwarding),
    EnvVar::setting("VPN_PORT_FORWARDING_PROVIDER", Field::VpnPortForwardingProvider, forwarding_provider),
    EnvVar::setting("LOCAL_SUBNET", Field::StackLanSubnets, lan_subnets).same_as("FIREWALL_OUTBOUND_SUBNETS"),
    EnvVar::setting("EXTRA_SUBNETS", Field::StackLanSubnets, lan_subnets).same_as("FIREWALL_OUTBOUND_SUBNETS"),
    EnvVar::setting("FIREWALL_OUTBOUND_SUBNETS", Field::StackLanSubnets, lan_subnets),
    EnvVar::setting("DOWNLOADS_PATH", Field::StackDownloadsDir, downloads),
    EnvVar::setting("PUID", Field::StackPuid, puid),
    EnvVar::setting("UID", Field::StackPuid, puid).same_as("PUID"),
    EnvVar::setting("PGID", Field::StackPgid, pgid),
    EnvVar::setting("TZ", Field::StackTimezone, timezone),
    EnvVar::setting("QBITTORRENT_USER", Field::QbittorrentUsername, webui_user),
    EnvVar::secret("QBITTORRENT_PASS", SecretKind::QbittorrentPassword),
    EnvVar::setting("QBITTORRENT_WEBUI_PORT", Field::StackWebuiPort, webui_port),
];

/// The names of every `.env` variable the import reads.
pub fn env_variables() -> impl Iterator<Item = &'static str> {
    VARS.iter().map(|v| v.name)
}

/// Names that suggest a secret, for variables that are not imported.
const SECRET_MARKERS: &[&str] = &["KEY", "PASS", "SECRET", "TOKEN", "CREDENTIAL"];

/// The plan of a `.env` file while its variables are read: the builder,
/// and the values that are only complete together.
struct EnvPlan<'c, 'r> {
    b: Builder,
    ctx: &'c ImportContext<'r>,
    endpoint_ip: Option<(Origin, IpAddr)>,
    endpoint_port: Option<(Origin, u16)>,
    provider_origin: Option<Origin>,
    public_key_set: bool,
}

pub(super) fn plan(file: &EnvFile<'_>, ctx: &ImportContext<'_>) -> Result<Built, ImportError> {
    let mut b = Builder::new(ctx, Format::Env);
    // The value each setting gets: the variable's place in the table, where
    // it was, and the value.
    let mut first_line: HashMap<&str, usize> = HashMap::new();
    let mut found: HashMap<&str, (usize, Origin, &SecretString)> = HashMap::new();
    for (line, a) in file.assignments() {
        let origin = Origin {
            line: line.number,
            var: a.key.clone(),
        };
        let Some((rank, var)) = VARS.iter().enumerate().find(|(_, v)| v.name == a.key) else {
            let secret_like = SECRET_MARKERS
                .iter()
                .any(|m| a.key.to_ascii_uppercase().contains(m));
            b.ignore(
                origin,
                secret_like.then_some("looks like a secret, and stays in the file"),
            );
            continue;
        };
        if let Some(first) = first_line.get(a.key.as_str()) {
            b.problem(&origin, format!("is set again (first on line {first})"));
            continue;
        }
        first_line.insert(&a.key, line.number);
        if a.value.expose_secret().is_empty() {
            b.notes
                .push(format!("{origin} is empty: nothing imported from it"));
            continue;
        }
        match found.get(var.setting_name()) {
            // The same setting under another of its names: the one gluetun
            // reads wins.
            Some((other_rank, other, _)) => {
                let (kept, dropped) = if rank > *other_rank {
                    (origin.clone(), other.clone())
                } else {
                    (other.clone(), origin.clone())
                };
                b.notes.push(format!(
                    "{dropped} is left out: {kept} sets the same setting and gluetun reads that one"
                ));
                if rank > *other_rank {
                    found.insert(var.setting_name(), (rank, origin, &a.value));
                }
            }
            None => {
                found.insert(var.setting_name(), (rank, origin, &a.value));
            }
        }
    }

    let old_provider = b.settings.vpn.provider.clone();
    let mut p = EnvPlan {
        b,
        ctx,
        endpoint_ip: None,
        endpoint_port: None,
        provider_origin: None,
        public_key_set: false,
    };
    // Each setting in table order, from the name that won.
    for setting in &VARS {
        let Some((rank, origin, value)) = found.remove(setting.setting_name()) else {
            continue;
        };
        let var = &VARS[rank];
        if let Err(why) = (var.apply)(&mut p, var, &origin, value) {
            p.b.problem(&origin, why);
        }
    }
    p.finish(&old_provider)
}

impl EnvPlan<'_, '_> {
    /// The settings only complete together (the endpoint's address and
    /// port), and a new provider's consequences; then validation.
    fn finish(mut self, old_provider: &str) -> Result<Built, ImportError> {
        let b = &mut self.b;
        let existing = b.settings.vpn.wireguard.endpoint;
        let endpoint = match (self.endpoint_ip, self.endpoint_port) {
            (Some((o, ip)), Some((_, port))) => Some((o, SocketAddr::new(ip, port))),
            (Some((o, ip)), None) => match existing {
                Some(e) => Some((o, SocketAddr::new(ip, e.port()))),
                None => {
                    b.problem(&o, "needs WIREGUARD_ENDPOINT_PORT too");
                    None
                }
            },
            (None, Some((o, port))) => match existing {
                Some(e) => Some((o, SocketAddr::new(e.ip(), port))),
                None => {
                    b.problem(&o, "needs WIREGUARD_ENDPOINT_IP too");
                    None
                }
            },
            (None, None) => None,
        };
        let endpoint_set = endpoint.is_some();
        if let Some((o, addr)) = endpoint {
            b.set(
                Field::WireguardEndpoint,
                &o,
                |s| &mut s.vpn.wireguard.endpoint,
                Some(addr),
            );
        }
        // Another provider: the old profile's server (endpoint and its key)
        // belonged to the old one, so it goes unless the file names a server.
        if let Some(o) = self
            .provider_origin
            .filter(|_| b.settings.vpn.provider != old_provider)
        {
            if !endpoint_set && b.settings.vpn.wireguard.endpoint.is_some() {
                b.set(
                    Field::WireguardEndpoint,
                    &o,
                    |s| &mut s.vpn.wireguard.endpoint,
                    None,
                );
            }
            if !self.public_key_set && b.settings.vpn.wireguard.public_key.is_some() {
                b.set(
                    Field::WireguardPublicKey,
                    &o,
                    |s| &mut s.vpn.wireguard.public_key,
                    None,
                );
            }
        }
        self.b.finish()
    }
}

/// A setting's value, trimmed. Not for secrets: messages may show it.
fn text(value: &SecretString) -> &str {
    value.expose_secret().trim()
}

fn keychain(p: &mut EnvPlan<'_, '_>, var: &EnvVar, o: &Origin, v: &SecretString) -> Outcome {
    match var.secret_kind() {
        Some(kind) => p.b.secret(kind, o, v).map_err(str::to_owned),
        None => Err(format!("{} is not a secret", var.field)),
    }
}

fn provider(p: &mut EnvPlan<'_, '_>, var: &EnvVar, o: &Origin, v: &SecretString) -> Outcome {
    let v = text(v);
    let name = v.to_lowercase();
    if !PROVIDERS.contains(&name.as_str()) {
        return Err(format!(
            "unknown provider {v:?}; expected one of: {}",
            PROVIDERS.join(", ")
        ));
    }
    p.provider_origin = Some(o.clone());
    p.b.set(var.field, o, |s| &mut s.vpn.provider, name);
    Ok(())
}

fn vpn_type(p: &mut EnvPlan<'_, '_>, var: &EnvVar, o: &Origin, v: &SecretString) -> Outcome {
    let v = text(v);
    let t = match v.to_lowercase().as_str() {
        "wireguard" => VpnType::Wireguard,
        "openvpn" => VpnType::Openvpn,
        _ => return Err(format!("{v:?} is not wireguard or openvpn")),
    };
    p.b.set(var.field, o, |s| &mut s.vpn.vpn_type, t);
    Ok(())
}

fn addresses(p: &mut EnvPlan<'_, '_>, var: &EnvVar, o: &Origin, v: &SecretString) -> Outcome {
    let nets = parse_nets(text(v), true)?;
    let nets = p.b.ipv4_addresses(o, nets);
    p.b.set(var.field, o, |s| &mut s.vpn.wireguard.addresses, nets);
    Ok(())
}

fn public_key(p: &mut EnvPlan<'_, '_>, var: &EnvVar, o: &Origin, v: &SecretString) -> Outcome {
    let v = text(v);
    p.public_key_set = true;
    if !is_wireguard_key(v) {
        return Err(NOT_A_KEY.to_owned());
    }
    p.b.set(
        var.field,
        o,
        |s| &mut s.vpn.wireguard.public_key,
        Some(v.to_owned()),
    );
    Ok(())
}

/// Kept until the port is known too (see [`EnvPlan::finish`]).
fn endpoint_ip(p: &mut EnvPlan<'_, '_>, _: &EnvVar, o: &Origin, v: &SecretString) -> Outcome {
    let v = text(v);
    let ip = v.parse::<IpAddr>().map_err(|_| {
        format!("{v:?} is not an IP address (the gateway needs an IP, not a host name)")
    })?;
    p.endpoint_ip = Some((o.clone(), ip));
    Ok(())
}

/// Kept until the address is known too (see [`EnvPlan::finish`]).
fn endpoint_port(p: &mut EnvPlan<'_, '_>, _: &EnvVar, o: &Origin, v: &SecretString) -> Outcome {
    p.endpoint_port = Some((o.clone(), parse_port(text(v))?));
    Ok(())
}

fn countries(p: &mut EnvPlan<'_, '_>, var: &EnvVar, o: &Origin, v: &SecretString) -> Outcome {
    let list: Vec<String> = text(v).split(',').map(|c| c.trim().to_owned()).collect();
    p.b.set(var.field, o, |s| &mut s.vpn.server_countries, list);
    Ok(())
}

fn port_forwarding(p: &mut EnvPlan<'_, '_>, var: &EnvVar, o: &Origin, v: &SecretString) -> Outcome {
    let v = text(v);
    let on =
        parse_bool(v).ok_or_else(|| format!("{v:?} is not on, off, true, false, yes or no"))?;
    p.b.set(var.field, o, |s| &mut s.vpn.port_forwarding, on);
    Ok(())
}

fn forwarding_provider(
    p: &mut EnvPlan<'_, '_>,
    var: &EnvVar,
    o: &Origin,
    v: &SecretString,
) -> Outcome {
    let v = text(v);
    let forwarder = PortForwardProvider::from_name(v).ok_or_else(|| {
        format!(
            "{v:?} is not a provider gluetun forwards ports for: {}",
            PORT_FORWARDING_PROVIDERS.join(", ")
        )
    })?;
    p.b.set(
        var.field,
        o,
        |s| &mut s.vpn.port_forwarding_provider,
        Some(forwarder),
    );
    Ok(())
}

fn lan_subnets(p: &mut EnvPlan<'_, '_>, var: &EnvVar, o: &Origin, v: &SecretString) -> Outcome {
    let nets = parse_nets(text(v), false)?;
    p.b.set(var.field, o, |s| &mut s.stack.lan_subnets, nets);
    Ok(())
}

fn downloads(p: &mut EnvPlan<'_, '_>, var: &EnvVar, o: &Origin, v: &SecretString) -> Outcome {
    let (path, note) = resolve_path(text(v), p.ctx)?;
    if let Some(n) = note {
        p.b.notes.push(format!("{o}: {n}"));
    }
    p.b.set(var.field, o, |s| &mut s.stack.downloads_dir, path);
    Ok(())
}

fn puid(p: &mut EnvPlan<'_, '_>, var: &EnvVar, o: &Origin, v: &SecretString) -> Outcome {
    let id = parse_id(text(v))?;
    p.b.set(var.field, o, |s| &mut s.stack.puid, id);
    Ok(())
}

fn pgid(p: &mut EnvPlan<'_, '_>, var: &EnvVar, o: &Origin, v: &SecretString) -> Outcome {
    let id = parse_id(text(v))?;
    p.b.set(var.field, o, |s| &mut s.stack.pgid, id);
    Ok(())
}

fn timezone(p: &mut EnvPlan<'_, '_>, var: &EnvVar, o: &Origin, v: &SecretString) -> Outcome {
    let tz = text(v).to_owned();
    p.b.set(var.field, o, |s| &mut s.stack.timezone, tz);
    Ok(())
}

fn webui_user(p: &mut EnvPlan<'_, '_>, var: &EnvVar, o: &Origin, v: &SecretString) -> Outcome {
    let user = text(v).to_owned();
    p.b.set(var.field, o, |s| &mut s.qbittorrent.username, user);
    Ok(())
}

fn webui_port(p: &mut EnvPlan<'_, '_>, var: &EnvVar, o: &Origin, v: &SecretString) -> Outcome {
    let port = parse_port(text(v))?;
    p.b.set(var.field, o, |s| &mut s.stack.webui_port, port);
    Ok(())
}

fn parse_port(v: &str) -> Result<u16, String> {
    v.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("{v:?} is not a port number (1-65535)"))
}

fn parse_id(v: &str) -> Result<u32, String> {
    v.parse::<u32>()
        .map_err(|_| format!("{v:?} is not a number"))
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" => Some(true),
        "off" | "false" | "no" => Some(false),
        _ => None,
    }
}

/// `DOWNLOADS_PATH` as an absolute path: `~/` is the home folder, and a
/// relative path is taken from the file's folder, as docker compose does.
fn resolve_path(v: &str, ctx: &ImportContext<'_>) -> Result<(PathBuf, Option<String>), String> {
    let p = Path::new(v);
    if p.is_absolute() {
        return Ok((p.to_path_buf(), None));
    }
    let (base, rest, from) = if v == "~" || v.starts_with("~/") {
        let home = ctx
            .home_dir
            .as_deref()
            .ok_or("starts with ~ but no home folder is known; use an absolute path")?;
        (
            home,
            v.trim_start_matches('~').trim_start_matches('/'),
            "the home folder",
        )
    } else {
        let base = ctx
            .base_dir
            .as_deref()
            .ok_or("is a relative path and the file's folder is not known; use an absolute path")?;
        (base, v, "the file's folder")
    };
    let mut out = base.to_path_buf();
    for c in Path::new(rest).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    let note = format!("{v:?} is taken from {from}: {}", out.display());
    Ok((out, Some(note)))
}
