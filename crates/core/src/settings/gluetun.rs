//! gluetun's own start-up rules, as one table by provider and generation.
//!
//! Real gluetun validates its settings at start-up and exits on the first one
//! it refuses (`cmd/gluetun/main.go`: `ERROR <message>`, then `Shutdown
//! successful`). The app never creates a gateway that gluetun would refuse:
//! [`check_fields`] runs inside [`super::Settings::validate`] (so the CLI,
//! the import plan and the settings window all refuse the same things, each
//! naming the field), the stack runs it again as [`check`] once it knows the
//! gateway image's release, and [`check_secrets`] runs before a gateway is
//! created, when the Keychain has been read.
//!
//! Every rule cites the gluetun source it comes from (paths under
//! `internal/configuration/settings/` unless said otherwise), read at the
//! tags v3.40.4 and v3.41.1 and on master.

use std::fmt;

use super::{Field, FieldError, FieldPath, Settings, VpnType};
use crate::secrets::SecretKind;

/// The gluetun releases whose rules differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Generation {
    /// v3.39.1 to v3.40.x.
    V3_40,
    /// v3.41.x.
    V3_41,
    /// master, the `latest` image, and any newer tag.
    Master,
}

impl Generation {
    pub const ALL: [Generation; 3] = [Generation::V3_40, Generation::V3_41, Generation::Master];

    /// The generation of a version string such as `v3.40.4`, `3.41.1` or
    /// `latest`. `None` for anything else (a digest, a custom tag).
    pub fn from_version(version: &str) -> Option<Self> {
        let v = version.trim();
        if v.eq_ignore_ascii_case("latest") {
            return Some(Generation::Master);
        }
        let digits = v.strip_prefix('v').unwrap_or(v);
        let mut parts = digits.split(['.', '-']);
        let major: u32 = parts.next()?.parse().ok()?;
        let minor: u32 = parts.next()?.parse().ok()?;
        Some(match (major, minor) {
            (3, 0..=40) | (0..=2, _) => Generation::V3_40,
            (3, 41) => Generation::V3_41,
            _ => Generation::Master,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Generation::V3_40 => "v3.40",
            Generation::V3_41 => "v3.41",
            Generation::Master => "latest",
        }
    }
}

impl fmt::Display for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What gluetun does with `WIREGUARD_ENDPOINT_PORT` for a provider
/// (`wireguardselection.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointPort {
    /// Custom: the endpoint (IP and port) is required.
    Required,
    /// Fatal when set: "endpoint port is set".
    Forbidden,
    /// Optional; when set it must be one of these (empty: any port).
    OneOf(&'static [u16]),
}

/// OpenVPN's custom endpoint port (`openvpnselection.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenvpnPort {
    Any,
    Forbidden,
    OneOf {
        udp: &'static [u16],
        tcp: &'static [u16],
    },
}

/// One provider's rules.
#[derive(Debug, Clone, Copy)]
pub struct Provider {
    /// `VPN_SERVICE_PROVIDER`, as gluetun spells it.
    pub name: &'static str,
    /// WireGuard is offered (`provider.go`, `wireguard.go`).
    pub wireguard: bool,
    /// OpenVPN is offered in these generations (`provider.go`: mullvad has
    /// none on master since 2026-01-15).
    pub openvpn: &'static [Generation],
    pub endpoint_port: EndpointPort,
    /// WireGuard needs a pre-shared key (`wireguard.go`: airvpn).
    pub preshared_key: bool,
    /// Native port forwarding (`portforward.go`).
    pub port_forwarding: bool,
    /// gluetun has a server list to choose countries from
    /// (`internal/storage/choices.go`: none for custom).
    pub server_choices: bool,
    /// OpenVPN needs a user (`openvpn.go`: all but custom, airvpn, vpnsecure)
    /// and then a password (ivpn: not with an account ID as user).
    pub openvpn_user: bool,
    /// OpenVPN needs a client certificate (`openvpn.go`
    /// `validateOpenVPNClientCertificate`).
    pub client_cert: bool,
    /// OpenVPN needs a client key (`validateOpenVPNClientKey`).
    pub client_key: bool,
    /// OpenVPN needs an encrypted key and its passphrase
    /// (`validateOpenVPNEncryptedKey`: vpnsecure).
    pub encrypted_key: bool,
    /// OpenVPN over TCP is refused (`openvpnselection.go`).
    pub openvpn_tcp: bool,
    pub openvpn_port: OpenvpnPort,
}

const ALL_GENERATIONS: &[Generation] = &Generation::ALL;
const NONE: &[Generation] = &[];

const fn openvpn_only(name: &'static str) -> Provider {
    Provider {
        name,
        wireguard: false,
        openvpn: ALL_GENERATIONS,
        endpoint_port: EndpointPort::OneOf(&[]),
        preshared_key: false,
        port_forwarding: false,
        server_choices: true,
        openvpn_user: true,
        client_cert: false,
        client_key: false,
        encrypted_key: false,
        openvpn_tcp: true,
        openvpn_port: OpenvpnPort::Any,
    }
}

const fn with_wireguard(mut p: Provider, endpoint_port: EndpointPort) -> Provider {
    p.wireguard = true;
    p.endpoint_port = endpoint_port;
    p
}

const fn no_tcp(mut p: Provider) -> Provider {
    p.openvpn_tcp = false;
    p
}

const fn port(mut p: Provider, port: OpenvpnPort) -> Provider {
    p.openvpn_port = port;
    p
}

const fn forwarding(mut p: Provider) -> Provider {
    p.port_forwarding = true;
    p
}

/// Every provider gluetun v3.41 and master know (`internal/constants/providers`).
pub const PROVIDERS: &[Provider] = &[
    Provider {
        preshared_key: true,
        openvpn_user: false,
        client_cert: true,
        client_key: true,
        openvpn_port: OpenvpnPort::OneOf {
            udp: &[53, 80, 443, 1194, 2018, 41185],
            tcp: &[53, 80, 443, 1194, 2018, 41185],
        },
        ..with_wireguard(openvpn_only("airvpn"), EndpointPort::OneOf(&[1637, 47107]))
    },
    Provider {
        openvpn: NONE,
        server_choices: false,
        openvpn_user: false,
        ..with_wireguard(openvpn_only("custom"), EndpointPort::Required)
    },
    Provider {
        client_cert: true,
        client_key: true,
        ..openvpn_only("cyberghost")
    },
    port(openvpn_only("expressvpn"), OpenvpnPort::Forbidden),
    port(
        with_wireguard(openvpn_only("fastestvpn"), EndpointPort::Forbidden),
        OpenvpnPort::Forbidden,
    ),
    port(no_tcp(openvpn_only("giganews")), OpenvpnPort::Forbidden),
    openvpn_only("hidemyass"),
    port(no_tcp(openvpn_only("ipvanish")), OpenvpnPort::Forbidden),
    port(
        with_wireguard(
            openvpn_only("ivpn"),
            EndpointPort::OneOf(&[2049, 2050, 53, 30587, 41893, 48574, 58237]),
        ),
        OpenvpnPort::OneOf {
            udp: &[53, 1194, 2049, 2050],
            tcp: &[80, 443, 1143],
        },
    ),
    Provider {
        openvpn: &[Generation::V3_40, Generation::V3_41],
        ..port(
            with_wireguard(openvpn_only("mullvad"), EndpointPort::OneOf(&[])),
            OpenvpnPort::OneOf {
                udp: &[53, 1194, 1195, 1196, 1197, 1300, 1301, 1302, 1303, 1400],
                tcp: &[80, 443, 1401],
            },
        )
    },
    port(
        with_wireguard(openvpn_only("nordvpn"), EndpointPort::Forbidden),
        OpenvpnPort::Forbidden,
    ),
    forwarding(no_tcp(port(
        openvpn_only("perfect privacy"),
        OpenvpnPort::OneOf {
            udp: &[44, 443, 4433],
            tcp: &[44, 443, 4433],
        },
    ))),
    port(no_tcp(openvpn_only("privado")), OpenvpnPort::Forbidden),
    forwarding(port(
        openvpn_only("private internet access"),
        OpenvpnPort::OneOf {
            udp: &[53, 1194, 1197, 1198, 8080, 9201],
            tcp: &[80, 110, 443],
        },
    )),
    forwarding(openvpn_only("privatevpn")),
    forwarding(port(
        with_wireguard(openvpn_only("protonvpn"), EndpointPort::Forbidden),
        OpenvpnPort::OneOf {
            udp: &[80, 443, 1194, 4569, 5060, 51820],
            tcp: &[443, 5995, 8443],
        },
    )),
    port(openvpn_only("purevpn"), OpenvpnPort::Forbidden),
    port(
        openvpn_only("slickvpn"),
        OpenvpnPort::OneOf {
            udp: &[443, 8080, 8888],
            tcp: &[443, 8080, 8888],
        },
    ),
    port(
        with_wireguard(openvpn_only("surfshark"), EndpointPort::Forbidden),
        OpenvpnPort::Forbidden,
    ),
    openvpn_only("torguard"),
    Provider {
        client_cert: true,
        client_key: true,
        ..port(openvpn_only("vpn unlimited"), OpenvpnPort::Forbidden)
    },
    Provider {
        openvpn_user: false,
        client_cert: true,
        encrypted_key: true,
        ..port(openvpn_only("vpnsecure"), OpenvpnPort::Forbidden)
    },
    port(no_tcp(openvpn_only("vyprvpn")), OpenvpnPort::Forbidden),
    port(
        with_wireguard(
            openvpn_only("windscribe"),
            EndpointPort::OneOf(&[53, 80, 123, 443, 1194, 65142]),
        ),
        OpenvpnPort::OneOf {
            udp: &[53, 80, 123, 443, 1194, 54783],
            tcp: &[21, 22, 80, 123, 143, 443, 587, 1194, 3306, 8080, 54783],
        },
    ),
];

/// Providers gluetun forwards ports for (`portforward.go`), which is also
/// what `VPN_PORT_FORWARDING_PROVIDER` may name.
pub fn port_forwarding_providers() -> impl Iterator<Item = &'static str> {
    PROVIDERS
        .iter()
        .filter(|p| p.port_forwarding)
        .map(|p| p.name)
}

pub fn provider(name: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.name == name)
}

/// Names joined as gluetun's `validate.IsOneOf` does: "a, b or c".
fn or_list<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// A rule gluetun would refuse, in the app's terms, as the stack reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The settings field (or `secrets.<kind>`), as its [`FieldPath`] shows.
    pub field: String,
    /// What is wrong and what would work.
    pub message: String,
}

impl From<FieldError> for Refusal {
    fn from(e: FieldError) -> Self {
        Self {
            field: e.field.to_string(),
            message: e.message,
        }
    }
}

fn refuse(out: &mut Vec<FieldError>, field: impl Into<FieldPath>, message: impl Into<String>) {
    out.push(FieldError::new(field, message));
}

/// Every rule that depends on the settings alone, for the generations given
/// (a gateway image whose version is unknown is checked against all).
pub fn check(settings: &Settings, generations: &[Generation]) -> Vec<Refusal> {
    check_fields(settings, generations)
        .into_iter()
        .map(Refusal::from)
        .collect()
}

/// [`check`], each refusal naming its field as validation does.
pub fn check_fields(settings: &Settings, generations: &[Generation]) -> Vec<FieldError> {
    let mut out = Vec::new();
    let vpn = &settings.vpn;
    let Some(p) = provider(&vpn.provider) else {
        return out; // an unknown provider is refused by the field check
    };
    match vpn.vpn_type {
        VpnType::Wireguard if !p.wireguard => refuse(
            &mut out,
            Field::VpnType,
            format!(
                "gluetun has no WireGuard for {}; WireGuard works with {} (provider.go)",
                p.name,
                or_list(PROVIDERS.iter().filter(|p| p.wireguard).map(|p| p.name))
            ),
        ),
        VpnType::Wireguard => check_wireguard(settings, p, &mut out),
        VpnType::Openvpn => {
            let missing: Vec<_> = generations
                .iter()
                .filter(|g| !p.openvpn.contains(g))
                .collect();
            if p.name == "custom" {
                refuse(
                    &mut out,
                    Field::VpnType,
                    "a custom provider needs WireGuard here (custom OpenVPN needs a config file)",
                );
            } else if !missing.is_empty() {
                refuse(
                    &mut out,
                    Field::VpnType,
                    format!(
                        "gluetun {} has no OpenVPN for {} (the provider dropped it); use WireGuard \
                         (provider.go)",
                        or_list(missing),
                        p.name
                    ),
                );
            } else {
                check_openvpn_options(settings, p, &mut out);
            }
        }
    }
    if vpn.port_forwarding {
        let selected = vpn
            .port_forwarding_provider
            .map_or(p.name, PortForwardProvider::name);
        if !provider(selected).is_some_and(|f| f.port_forwarding) {
            let hint = if p.name == "custom" {
                format!(
                    "; with a custom provider, set {} to the provider whose servers you use ({})",
                    Field::VpnPortForwardingProvider,
                    or_list(port_forwarding_providers())
                )
            } else {
                String::new()
            };
            refuse(
                &mut out,
                Field::VpnPortForwarding,
                format!(
                    "gluetun forwards ports only for {}; not for {selected}{hint} (portforward.go)",
                    or_list(port_forwarding_providers())
                ),
            );
        }
    }
    if !p.server_choices {
        for (i, c) in vpn.server_countries.iter().enumerate() {
            refuse(
                &mut out,
                Field::VpnServerCountries.item(i),
                format!(
                    "{c:?}: gluetun has no server list for a custom provider, so no country can \
                     be chosen; the endpoint decides the server (serverselection.go, \
                     internal/storage/choices.go)"
                ),
            );
        }
    }
    check_options(settings, &mut out);
    out
}

fn check_wireguard(settings: &Settings, p: &Provider, out: &mut Vec<FieldError>) {
    let wg = &settings.vpn.wireguard;
    for (i, net) in wg.addresses.iter().enumerate() {
        if net.addr().is_ipv6() {
            refuse(
                out,
                Field::WireguardAddresses.item(i),
                format!(
                    "{net} is IPv6, but IPv6 is off in the stack (no IPv6 leaks) and gluetun \
                     refuses IPv6 interface addresses then; keep only the IPv4 address \
                     (wireguard.go)"
                ),
            );
        }
    }
    if let Some(ep) = wg.endpoint {
        match p.endpoint_port {
            EndpointPort::Required => {}
            EndpointPort::Forbidden => refuse(
                out,
                Field::WireguardEndpoint,
                format!(
                    "gluetun refuses an endpoint port for {}: leave the endpoint empty and it \
                     picks the server (wireguardselection.go)",
                    p.name
                ),
            ),
            EndpointPort::OneOf(ports) if !ports.is_empty() && !ports.contains(&ep.port()) => {
                refuse(
                    out,
                    Field::WireguardEndpoint,
                    format!(
                        "port {} is not one gluetun allows for {}: use {} (wireguardselection.go)",
                        ep.port(),
                        p.name,
                        or_list(ports)
                    ),
                )
            }
            EndpointPort::OneOf(_) => {}
        }
    }
}

/// `WIREGUARD_*` and `OPENVPN_*` tuning options in `stack.gateway_env`
/// that depend on the VPN type and provider.
fn check_openvpn_options(settings: &Settings, p: &Provider, out: &mut Vec<FieldError>) {
    let env = &settings.stack.gateway_env;
    let tcp = env
        .get("OPENVPN_PROTOCOL")
        .is_some_and(|v| v.eq_ignore_ascii_case("tcp"));
    if tcp && !p.openvpn_tcp {
        refuse(
            out,
            Field::StackGatewayEnv.entry("OPENVPN_PROTOCOL"),
            format!(
                "gluetun has no OpenVPN over TCP for {}: use udp (openvpnselection.go)",
                p.name
            ),
        );
    }
    let Some(port) = env
        .get("OPENVPN_ENDPOINT_PORT")
        .and_then(|v| v.trim().parse::<u16>().ok())
        .filter(|p| *p != 0)
    else {
        return;
    };
    let field = || Field::StackGatewayEnv.entry("OPENVPN_ENDPOINT_PORT");
    match p.openvpn_port {
        OpenvpnPort::Any => {}
        OpenvpnPort::Forbidden => refuse(
            out,
            field(),
            format!(
                "gluetun refuses a custom OpenVPN port for {}: remove it (openvpnselection.go)",
                p.name
            ),
        ),
        OpenvpnPort::OneOf {
            udp,
            tcp: tcp_ports,
        } => {
            let allowed = if tcp { tcp_ports } else { udp };
            if !allowed.contains(&port) {
                refuse(
                    out,
                    field(),
                    format!(
                        "port {port} is not one gluetun allows for {} over {}: use {} \
                         (openvpnselection.go)",
                        p.name,
                        if tcp { "TCP" } else { "UDP" },
                        or_list(allowed)
                    ),
                );
            }
        }
    }
}

/// What a known gluetun option's value must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// gosettings' booleans: on/off, yes/no, true/false…
    Bool,
    /// A Go duration like `30s` or `1m30s`, not negative.
    Duration,
    /// qdm12/log levels.
    LogLevel,
    /// A number in a range.
    Number { min: u32, max: u32 },
    /// One of these words (case-insensitive, as gluetun lowercases).
    OneOf(&'static [&'static str]),
    /// Comma-separated names (letters, digits, spaces, `-`, `.`, `_`).
    Names,
    /// Comma-separated `host:port` (an IP or a host name).
    Addresses,
    /// Comma-separated IP addresses.
    Ips,
}

/// A gluetun option `stack.gateway_env` may set, with its value rule and
/// the VPN type it applies to.
#[derive(Debug, Clone, Copy)]
pub struct GatewayOption {
    pub name: &'static str,
    pub kind: OptionKind,
    pub only_for: Option<VpnType>,
    /// Where gluetun reads it.
    pub source: &'static str,
}

const fn opt(name: &'static str, kind: OptionKind, source: &'static str) -> GatewayOption {
    GatewayOption {
        name,
        kind,
        only_for: None,
        source,
    }
}

const fn wg(name: &'static str, kind: OptionKind, source: &'static str) -> GatewayOption {
    GatewayOption {
        name,
        kind,
        only_for: Some(VpnType::Wireguard),
        source,
    }
}

const fn ovpn(name: &'static str, kind: OptionKind, source: &'static str) -> GatewayOption {
    GatewayOption {
        name,
        kind,
        only_for: Some(VpnType::Openvpn),
        source,
    }
}

/// gluetun options whose values the app checks before gluetun does. The
/// `WIREGUARD_*`/`OPENVPN_*` ones are the non-secret tuning options; the
/// rest of those prefixes are set by the app.
pub const GATEWAY_OPTIONS: &[GatewayOption] = &[
    opt(
        "LOG_LEVEL",
        OptionKind::LogLevel,
        "log.go, cmd/gluetun/main.go",
    ),
    wg(
        "WIREGUARD_MTU",
        OptionKind::Number {
            min: 576,
            max: 65535,
        },
        "wireguard.go",
    ),
    wg(
        "WIREGUARD_PERSISTENT_KEEPALIVE_INTERVAL",
        OptionKind::Duration,
        "wireguard.go",
    ),
    wg(
        "WIREGUARD_IMPLEMENTATION",
        OptionKind::OneOf(&["auto", "userspace", "kernelspace"]),
        "wireguard.go",
    ),
    ovpn(
        "OPENVPN_PROTOCOL",
        OptionKind::OneOf(&["udp", "tcp"]),
        "openvpnselection.go",
    ),
    ovpn(
        "OPENVPN_ENDPOINT_PORT",
        OptionKind::Number { min: 1, max: 65535 },
        "openvpnselection.go",
    ),
    opt("HEALTH_RESTART_VPN", OptionKind::Bool, "health.go"),
    opt(
        "HEALTH_SMALL_CHECK_PERIOD",
        OptionKind::Duration,
        "health.go",
    ),
    opt(
        "HEALTH_FULL_CHECK_PERIOD",
        OptionKind::Duration,
        "health.go",
    ),
    opt(
        "HEALTH_VPN_DURATION_INITIAL",
        OptionKind::Duration,
        "health.go",
    ),
    opt(
        "HEALTH_VPN_DURATION_ADDITION",
        OptionKind::Duration,
        "health.go",
    ),
    opt(
        "HEALTH_SMALL_CHECK_TYPE",
        OptionKind::OneOf(&["icmp", "dns"]),
        "health.go",
    ),
    opt(
        "DNS_UPSTREAM_RESOLVER_TYPE",
        OptionKind::OneOf(&["dot", "doh", "plain"]),
        "dns.go",
    ),
    opt("BLOCK_MALICIOUS", OptionKind::Bool, "dnsblacklist.go"),
    opt("BLOCK_SURVEILLANCE", OptionKind::Bool, "dnsblacklist.go"),
    opt("BLOCK_ADS", OptionKind::Bool, "dnsblacklist.go"),
    opt("UPDATER_PERIOD", OptionKind::Duration, "updater.go"),
    opt("PUBLICIP_PERIOD", OptionKind::Duration, "publicip.go"),
    opt("VERSION_INFORMATION", OptionKind::Bool, "version.go"),
    opt("DNS_CACHING", OptionKind::Bool, "dns.go"),
    opt("DNS_UPSTREAM_RESOLVERS", OptionKind::Names, "dns.go"),
    opt(
        "DNS_UPSTREAM_PLAIN_ADDRESSES",
        OptionKind::Addresses,
        "dns.go",
    ),
    opt(
        "HEALTH_TARGET_ADDRESSES",
        OptionKind::Addresses,
        "health.go",
    ),
    opt(
        "HEALTH_TARGET_ADDRESS",
        OptionKind::Addresses,
        "health.go (v3.40)",
    ),
    opt("HEALTH_ICMP_TARGET_IPS", OptionKind::Ips, "health.go"),
    opt("PUBLICIP_API", OptionKind::Names, "publicip.go"),
    opt("SERVER_REGIONS", OptionKind::Names, "serverselection.go"),
    opt("SERVER_CITIES", OptionKind::Names, "serverselection.go"),
    opt("SERVER_HOSTNAMES", OptionKind::Names, "serverselection.go"),
    opt("SERVER_NAMES", OptionKind::Names, "serverselection.go"),
    opt("SERVER_CATEGORIES", OptionKind::Names, "serverselection.go"),
    opt("ISP", OptionKind::Names, "serverselection.go"),
];

/// The options `stack.gateway_env` accepts, for messages.
pub fn gateway_option_names() -> impl Iterator<Item = &'static str> {
    GATEWAY_OPTIONS.iter().map(|o| o.name)
}

pub fn gateway_option(name: &str) -> Option<&'static GatewayOption> {
    GATEWAY_OPTIONS.iter().find(|o| o.name == name)
}

/// Server filters gluetun refuses for a provider without a server list
/// (`serverselection.go`: every location filter; more than one name).
const LOCATION_FILTERS: &[&str] = &[
    "SERVER_REGIONS",
    "SERVER_CITIES",
    "SERVER_HOSTNAMES",
    "SERVER_HOSTNAME",
    "SERVER_CATEGORIES",
    "ISP",
    "CITY",
];

fn check_options(settings: &Settings, out: &mut Vec<FieldError>) {
    let no_choices = provider(&settings.vpn.provider).is_some_and(|p| !p.server_choices);
    for (name, value) in &settings.stack.gateway_env {
        if no_choices && LOCATION_FILTERS.contains(&name.as_str()) && !value.trim().is_empty() {
            refuse(
                out,
                Field::StackGatewayEnv.entry(name.as_str()),
                format!(
                    "gluetun has no server list for a {} provider, so it refuses any server \
                     filter; the endpoint decides the server (serverselection.go)",
                    settings.vpn.provider
                ),
            );
            continue;
        }
        let Some(option) = gateway_option(name) else {
            continue;
        };
        let field = || Field::StackGatewayEnv.entry(name.as_str());
        if let Some(t) = option.only_for {
            if t != settings.vpn.vpn_type {
                refuse(
                    out,
                    field(),
                    format!(
                        "applies to {} only, and this profile uses {}",
                        t.as_str(),
                        settings.vpn.vpn_type.as_str()
                    ),
                );
                continue;
            }
        }
        if let Err(why) = check_value(option.kind, value) {
            refuse(out, field(), format!("{why} ({})", option.source));
            continue;
        }
        if name == "DNS_UPSTREAM_PLAIN_ADDRESSES" {
            let outside = value.split(',').find_map(|item| {
                let host = item.rsplit_once(':').map_or(item, |(h, _)| h);
                let ip = host
                    .trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .ok()?;
                settings
                    .stack
                    .lan_subnets
                    .iter()
                    .find(|n| n.contains(&ip))
                    .map(|n| (ip, *n))
            });
            if let Some((ip, net)) = outside {
                refuse(
                    out,
                    field(),
                    format!(
                        "{ip} is in the LAN subnet {net}, which is routed outside the tunnel: \
                         DNS queries would leave with your real IP"
                    ),
                );
            }
        }
    }
}

/// gluetun's value rules for one option kind.
pub fn check_value(kind: OptionKind, value: &str) -> Result<(), String> {
    let v = value.trim().to_ascii_lowercase();
    match kind {
        OptionKind::Bool => {
            const WORDS: &[&str] = &[
                "enabled", "yes", "on", "true", "disabled", "no", "off", "false",
            ];
            if WORDS.contains(&v.as_str()) {
                Ok(())
            } else {
                Err(format!("{value:?} is not on or off"))
            }
        }
        OptionKind::Duration => match parse_go_duration(&v) {
            Some(_) => Ok(()),
            None => Err(format!("{value:?} is not a duration like 30s, 5m or 1h30m")),
        },
        OptionKind::LogLevel => {
            if ["debug", "info", "warn", "error"].contains(&v.as_str()) {
                Ok(())
            } else {
                Err(format!(
                    "gluetun exits with \"level is not recognized: {v}\"; use debug, info, warn \
                     or error"
                ))
            }
        }
        OptionKind::Number { min, max } => match v.parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(()),
            _ => Err(format!("{value:?} is not a number from {min} to {max}")),
        },
        OptionKind::OneOf(words) => {
            if words.contains(&v.as_str()) {
                Ok(())
            } else {
                Err(format!("{value:?} is not {}", or_list(words)))
            }
        }
        // gluetun's CSV reader splits on commas only: a space after one is
        // part of the next value.
        OptionKind::Names => list(value, |item| {
            !item.is_empty()
                && item.trim() == item
                && item
                    .chars()
                    .all(|c| c.is_alphanumeric() || " -._".contains(c))
        })
        .map_err(|item| format!("{item:?} is not a name")),
        OptionKind::Addresses => list(value, |item| {
            item.rsplit_once(':').is_some_and(|(host, port)| {
                !host.is_empty()
                    && host
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-[]:".contains(c))
                    && port.parse::<u16>().is_ok_and(|p| p > 0)
            })
        })
        .map_err(|item| format!("{item:?} is not an address like 1.1.1.1:53 or host:443")),
        OptionKind::Ips => list(value, |item| item.parse::<std::net::IpAddr>().is_ok())
            .map_err(|item| format!("{item:?} is not an IP address")),
    }
}

/// Every comma-separated item passes `ok`, else the first that does not.
fn list(value: &str, ok: impl Fn(&str) -> bool) -> Result<(), String> {
    match value.split(',').find(|item| !ok(item)) {
        Some(item) => Err(item.to_owned()),
        None => Ok(()),
    }
}

/// A Go duration (`time.ParseDuration`) that is not negative: `0`, or
/// numbers with units ns, us, ms, s, m, h.
pub fn parse_go_duration(text: &str) -> Option<std::time::Duration> {
    if text == "0" {
        return Some(std::time::Duration::ZERO);
    }
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += number * scale;
    }
    Some(std::time::Duration::from_secs_f64(total))
}

/// Which secrets the Keychain holds for the profile, as far as gluetun's
/// rules care.
pub trait SecretPresence {
    fn has(&self, kind: SecretKind) -> bool;
    /// The stored OpenVPN user is an IVPN account ID (`i-XXXX-XXXX-XXXX`),
    /// which needs no password (`openvpn.go`, `ivpnAccountID`).
    fn user_is_ivpn_account_id(&self) -> bool;
}

/// True for an IVPN account ID, as gluetun's `ivpnAccountID` regexp.
pub fn is_ivpn_account_id(user: &str) -> bool {
    let rest = user
        .strip_prefix("ivpn-")
        .or_else(|| user.strip_prefix("i-"));
    rest.is_some_and(|r| {
        let parts: Vec<&str> = r.split('-').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| p.len() == 4 && p.chars().all(|c| c.is_ascii_alphanumeric()))
    })
}

/// The rules that need the Keychain: which secrets gluetun requires for the
/// provider and VPN type. Checked before a gateway is created.
pub fn check_secrets(settings: &Settings, secrets: &dyn SecretPresence) -> Vec<Refusal> {
    check_secret_fields(settings, secrets)
        .into_iter()
        .map(Refusal::from)
        .collect()
}

/// [`check_secrets`], each refusal naming its `secrets.<kind>` field.
fn check_secret_fields(settings: &Settings, secrets: &dyn SecretPresence) -> Vec<FieldError> {
    let mut out = Vec::new();
    let Some(p) = provider(&settings.vpn.provider) else {
        return out;
    };
    let mut need = |kind: SecretKind, why: String| need_secret(&mut out, secrets, kind, &why);
    match settings.vpn.vpn_type {
        VpnType::Wireguard => {
            need(SecretKind::WireguardPrivateKey, "(wireguard.go)".to_owned());
            if p.preshared_key {
                need(
                    SecretKind::WireguardPresharedKey,
                    format!("for {} (wireguard.go)", p.name),
                );
            }
        }
        VpnType::Openvpn => {
            let for_p = format!("for {} (openvpn.go)", p.name);
            if p.openvpn_user {
                need(SecretKind::OpenvpnUser, for_p.clone());
                if !(p.name == "ivpn" && secrets.user_is_ivpn_account_id()) {
                    need(SecretKind::OpenvpnPassword, for_p.clone());
                }
            }
            if p.client_cert {
                need(SecretKind::OpenvpnClientCert, for_p.clone());
            }
            if p.client_key {
                need(SecretKind::OpenvpnClientKey, for_p.clone());
            }
            if p.encrypted_key {
                need(SecretKind::OpenvpnEncryptedKey, for_p.clone());
                need(SecretKind::OpenvpnKeyPassphrase, for_p.clone());
            }
        }
    }
    let vpn = &settings.vpn;
    let forwarder = vpn
        .port_forwarding_provider
        .map_or(vpn.provider.as_str(), |f| f.name());
    if vpn.port_forwarding && forwarder == "private internet access" {
        let why = "for port forwarding with private internet access (portforward.go)";
        need(SecretKind::OpenvpnUser, why.to_owned());
        need(SecretKind::OpenvpnPassword, why.to_owned());
    }
    out
}

fn need_secret(
    out: &mut Vec<FieldError>,
    secrets: &dyn SecretPresence,
    kind: SecretKind,
    why: &str,
) {
    if !secrets.has(kind) {
        refuse(
            out,
            Field::Secret(kind),
            format!(
                "gluetun needs the {} {why}; store it with `tvpn secrets set {}` or in Settings",
                kind.label(),
                kind.key()
            ),
        );
    }
}

/// `VPN_PORT_FORWARDING_PROVIDER`: whose forwarding code gluetun runs, for
/// a custom provider on that provider's servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PortForwardProvider {
    #[serde(rename = "perfect privacy")]
    PerfectPrivacy,
    #[serde(rename = "private internet access")]
    PrivateInternetAccess,
    #[serde(rename = "privatevpn")]
    Privatevpn,
    #[serde(rename = "protonvpn")]
    Protonvpn,
}

impl PortForwardProvider {
    pub const ALL: [PortForwardProvider; 4] = [
        PortForwardProvider::PerfectPrivacy,
        PortForwardProvider::PrivateInternetAccess,
        PortForwardProvider::Privatevpn,
        PortForwardProvider::Protonvpn,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PortForwardProvider::PerfectPrivacy => "perfect privacy",
            PortForwardProvider::PrivateInternetAccess => "private internet access",
            PortForwardProvider::Privatevpn => "privatevpn",
            PortForwardProvider::Protonvpn => "protonvpn",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        let n = name.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|p| p.name() == n)
    }
}

#[cfg(test)]
mod tests;

#[cfg(any(test, feature = "test-support"))]
pub mod cases;
