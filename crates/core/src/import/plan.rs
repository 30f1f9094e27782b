//! From a parsed file to the complete [`ImportPlan`]: which settings change
//! from what to what, which secrets go to the keychain, which lines are
//! replaced. Every value is checked here, and the resulting settings are
//! validated with [`Settings::validate`], whose errors are traced back to the
//! line that set the field.

use std::collections::{BTreeSet, HashMap};
use std::fmt::{self, Write as _};
use std::net::{IpAddr, SocketAddr};
use std::path::{Component, Path, PathBuf};

use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::envfile;
use super::wgquick::{self, Endpoint};
use super::{scrub_comment, Format, ImportContext, ImportError, Problem};
use crate::secrets::SecretKind;
use crate::settings::{
    is_wireguard_key, Field, FieldPath, PortForwardProvider, Settings, VpnType,
    PORT_FORWARDING_PROVIDERS, PROVIDERS,
};

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub line: usize,
    /// The variable, or the wg-quick key or section, as written.
    pub var: String,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} {}", self.line, self.var)
    }
}

/// One setting the import sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The setting; shown as its dotted path, e.g. `stack.webui_port`.
    pub field: Field,
    /// The value before, as TOML would show it.
    pub from: String,
    pub to: String,
    pub origin: Origin,
}

impl Change {
    pub fn unchanged(&self) -> bool {
        self.from == self.to
    }
}

/// A secret for the keychain. `Debug` redacts the value.
#[derive(Debug, Clone)]
pub struct SecretImport {
    pub kind: SecretKind,
    pub origin: Origin,
    pub value: SecretString,
}

/// A variable or key that is not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    pub origin: Origin,
    /// Why, when there is more to say than "Torrent VPN does not read it".
    pub reason: Option<&'static str>,
}

/// Everything an import will do, computed before anything is written.
#[derive(Debug)]
pub struct ImportPlan {
    pub format: Format,
    /// The settings as they will be saved (validated).
    pub settings: Settings,
    /// The settings before, `None` when there was no settings file.
    pub previous: Option<Settings>,
    pub changes: Vec<Change>,
    pub secrets: Vec<SecretImport>,
    /// The `.env` lines replaced by a comment.
    pub scrubbed: Vec<Origin>,
    /// The new content of the file; `None` when it stays as it is.
    pub rewritten: Option<Vec<u8>>,
    pub ignored: Vec<Ignored>,
    /// Things the user should know (a resolved host name, a relative path).
    pub notes: Vec<String>,
    /// SHA-256 of the file the plan was made from.
    pub source_sha256: [u8; 32],
}

impl ImportPlan {
    /// The profile the secrets are stored under.
    pub fn profile(&self) -> &str {
        &self.settings.profile
    }

    /// True when the settings file would be written (new, or a value changes).
    pub fn settings_change(&self) -> bool {
        self.previous.as_ref() != Some(&self.settings)
    }

    /// The plan in words, for `--dry-run` and before applying. Names secrets,
    /// never their values.
    pub fn render(&self, source: &Path, settings_file: &Path) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Import from {} ({})",
            source.display(),
            self.format.describe()
        );

        let _ = writeln!(
            out,
            "\nSettings in {}{}:",
            settings_file.display(),
            if self.previous.is_none() {
                " (a new file; everything not listed keeps its default)"
            } else {
                ""
            }
        );
        if self.changes.is_empty() {
            let _ = writeln!(out, "  (none)");
        }
        let width = self
            .changes
            .iter()
            .map(|c| c.field.as_str().len())
            .max()
            .unwrap_or(0);
        for c in &self.changes {
            let what = if c.unchanged() {
                format!("{} (unchanged)", c.to)
            } else {
                format!("{} -> {}", c.from, c.to)
            };
            let _ = writeln!(out, "  {:<width$}  {what}    [{}]", c.field, c.origin);
        }

        let _ = writeln!(
            out,
            "\nKeychain, profile {:?} (values are never shown):",
            self.profile()
        );
        if self.secrets.is_empty() {
            let _ = writeln!(out, "  (none)");
        }
        for s in &self.secrets {
            let _ = writeln!(
                out,
                "  {:<26}  {}    [{}]",
                s.kind.key(),
                s.kind.label(),
                s.origin
            );
        }

        let _ = writeln!(out, "\nThe file {}:", source.display());
        match (self.format, &self.rewritten) {
            (Format::WgQuick, _) => {
                let _ = writeln!(
                    out,
                    "  stays as it is: it still holds the private key. Delete it once the \
                     import works, unless the WireGuard app still uses it."
                );
            }
            (Format::Env, None) => {
                let _ = writeln!(out, "  stays as it is (no secret in it is imported)");
            }
            (Format::Env, Some(_)) => {
                for o in &self.scrubbed {
                    let _ = writeln!(
                        out,
                        "  line {}: replaced by \"{}\"",
                        o.line,
                        scrub_comment(&o.var)
                    );
                }
                let _ = writeln!(
                    out,
                    "  every other line stays byte for byte; docker compose will no longer \
                     get the replaced variables from it"
                );
            }
        }

        if !self.ignored.is_empty() {
            let _ = writeln!(out, "\nNot imported (left in the file):");
            for i in &self.ignored {
                match i.reason {
                    Some(why) => {
                        let _ = writeln!(out, "  {}: {why}", i.origin);
                    }
                    None => {
                        let _ = writeln!(out, "  {}", i.origin);
                    }
                }
            }
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out, "\nNotes:");
            for n in &self.notes {
                let _ = writeln!(out, "  {n}");
            }
        }
        out
    }
}

/// How a value is shown in the plan: as TOML would write it.
trait Show {
    fn show(&self) -> String;
}

impl Show for String {
    fn show(&self) -> String {
        format!("{self:?}")
    }
}

impl Show for bool {
    fn show(&self) -> String {
        self.to_string()
    }
}

impl Show for u16 {
    fn show(&self) -> String {
        self.to_string()
    }
}

impl Show for u32 {
    fn show(&self) -> String {
        self.to_string()
    }
}

impl Show for VpnType {
    fn show(&self) -> String {
        format!("{:?}", self.as_str())
    }
}

impl Show for IpNet {
    fn show(&self) -> String {
        format!("\"{self}\"")
    }
}

impl Show for SocketAddr {
    fn show(&self) -> String {
        format!("\"{self}\"")
    }
}

impl Show for PathBuf {
    fn show(&self) -> String {
        format!("{:?}", self.display().to_string())
    }
}

impl<T: Show> Show for Vec<T> {
    fn show(&self) -> String {
        let items: Vec<String> = self.iter().map(Show::show).collect();
        format!("[{}]", items.join(", "))
    }
}

impl Show for PortForwardProvider {
    fn show(&self) -> String {
        self.name().to_owned()
    }
}

impl<T: Show> Show for Option<T> {
    fn show(&self) -> String {
        self.as_ref()
            .map_or_else(|| "(none)".to_owned(), Show::show)
    }
}

/// The `.env` variables that are imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Var {
    Provider,
    VpnType,
    WgPrivateKey,
    WgAddresses,
    WgPresharedKey,
    WgPublicKey,
    WgEndpointIp,
    WgEndpointPort,
    OpenvpnUser,
    OpenvpnPassword,
    ServerCountries,
    PortForwarding,
    PortForwardingProvider,
    LocalSubnet,
    DownloadsPath,
    Puid,
    Pgid,
    Tz,
    QbUser,
    QbPass,
    QbPort,
}

/// Every imported variable, in the order they are applied. gluetun's older
/// names (its `reader.RetroKeys`) come after the current name of the same
/// setting: gosettings reads the deprecated keys first, so an old name wins
/// when a file has both, as in gluetun.
const ENV_VARS: &[(&str, Var)] = &[
    ("VPN_SERVICE_PROVIDER", Var::Provider),
    ("VPNSP", Var::Provider),
    ("VPN_TYPE", Var::VpnType),
    ("WIREGUARD_PRIVATE_KEY", Var::WgPrivateKey),
    ("WIREGUARD_ADDRESSES", Var::WgAddresses),
    ("WIREGUARD_ADDRESS", Var::WgAddresses),
    ("WIREGUARD_PRESHARED_KEY", Var::WgPresharedKey),
    ("WIREGUARD_PUBLIC_KEY", Var::WgPublicKey),
    ("WIREGUARD_ENDPOINT_IP", Var::WgEndpointIp),
    ("WIREGUARD_ENDPOINT_PORT", Var::WgEndpointPort),
    ("OPENVPN_USER", Var::OpenvpnUser),
    ("OPENVPN_PASSWORD", Var::OpenvpnPassword),
    ("COUNTRY", Var::ServerCountries),
    ("SERVER_COUNTRIES", Var::ServerCountries),
    (
        "PRIVATE_INTERNET_ACCESS_VPN_PORT_FORWARDING",
        Var::PortForwarding,
    ),
    ("PORT_FORWARDING", Var::PortForwarding),
    ("VPN_PORT_FORWARDING", Var::PortForwarding),
    ("VPN_PORT_FORWARDING_PROVIDER", Var::PortForwardingProvider),
    ("LOCAL_SUBNET", Var::LocalSubnet),
    ("EXTRA_SUBNETS", Var::LocalSubnet),
    ("FIREWALL_OUTBOUND_SUBNETS", Var::LocalSubnet),
    ("DOWNLOADS_PATH", Var::DownloadsPath),
    ("PUID", Var::Puid),
    ("UID", Var::Puid),
    ("PGID", Var::Pgid),
    ("TZ", Var::Tz),
    ("QBITTORRENT_USER", Var::QbUser),
    ("QBITTORRENT_PASS", Var::QbPass),
    ("QBITTORRENT_WEBUI_PORT", Var::QbPort),
];

/// The names of every `.env` variable the import reads.
pub fn env_variables() -> impl Iterator<Item = &'static str> {
    ENV_VARS.iter().map(|(name, _)| *name)
}

fn secret_kind(var: Var) -> Option<SecretKind> {
    match var {
        Var::WgPrivateKey => Some(SecretKind::WireguardPrivateKey),
        Var::WgPresharedKey => Some(SecretKind::WireguardPresharedKey),
        Var::OpenvpnUser => Some(SecretKind::OpenvpnUser),
        Var::OpenvpnPassword => Some(SecretKind::OpenvpnPassword),
        Var::QbPass => Some(SecretKind::QbittorrentPassword),
        _ => None,
    }
}

/// Names that suggest a secret, for variables that are not imported.
const SECRET_MARKERS: &[&str] = &["KEY", "PASS", "SECRET", "TOKEN", "CREDENTIAL"];

/// Which variable fills a required field, for errors that no line caused.
fn hint(format: Format, field: &FieldPath) -> Option<&'static str> {
    let env = format == Format::Env;
    Some(match field.field()? {
        Field::WireguardEndpoint if env => "set WIREGUARD_ENDPOINT_IP and WIREGUARD_ENDPOINT_PORT",
        Field::WireguardEndpoint => "set Endpoint in [Peer]",
        Field::WireguardPublicKey if env => "set WIREGUARD_PUBLIC_KEY",
        Field::WireguardPublicKey => "set PublicKey in [Peer]",
        Field::WireguardAddresses if env => "set WIREGUARD_ADDRESSES",
        Field::WireguardAddresses => "set Address in [Interface]",
        _ => return None,
    })
}

struct Builder {
    format: Format,
    settings: Settings,
    changes: Vec<Change>,
    secrets: Vec<SecretImport>,
    ignored: Vec<Ignored>,
    notes: Vec<String>,
    problems: Vec<Problem>,
}

impl Builder {
    fn new(ctx: &ImportContext<'_>, format: Format) -> Self {
        Self {
            format,
            settings: ctx
                .existing
                .clone()
                .unwrap_or_else(Settings::new_custom_wireguard),
            changes: Vec::new(),
            secrets: Vec::new(),
            ignored: Vec::new(),
            notes: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn set<T: Show + PartialEq>(
        &mut self,
        field: Field,
        origin: &Origin,
        slot: fn(&mut Settings) -> &mut T,
        value: T,
    ) {
        let current = slot(&mut self.settings);
        self.changes.push(Change {
            field,
            from: current.show(),
            to: value.show(),
            origin: origin.clone(),
        });
        *current = value;
    }

    fn problem(&mut self, origin: &Origin, message: impl Into<String>) {
        self.problems.push(Problem {
            line: Some(origin.line),
            var: Some(origin.var.clone()),
            message: message.into(),
        });
    }

    fn secret(&mut self, kind: SecretKind, origin: &Origin, value: &SecretString) {
        let v = value.expose_secret();
        let is_key = matches!(
            kind,
            SecretKind::WireguardPrivateKey | SecretKind::WireguardPresharedKey
        );
        if is_key && !is_wireguard_key(v) {
            self.problem(
                origin,
                "not a WireGuard key: it must be 44 characters of base64 (32 bytes)",
            );
        } else if v.contains('\n') {
            self.problem(origin, "must be a single line");
        } else {
            self.secrets.push(SecretImport {
                kind,
                origin: origin.clone(),
                value: value.clone(),
            });
        }
    }

    /// The interface addresses without the IPv6 ones, each left out with a
    /// note: IPv6 is off in the stack, so gluetun would refuse them
    /// (`wireguard.go`) and the tunnel is IPv4 only. When no IPv4 address is
    /// left, they are kept for validation to name.
    fn ipv4_addresses(&mut self, origin: &Origin, nets: Vec<IpNet>) -> Vec<IpNet> {
        let (v4, v6): (Vec<IpNet>, Vec<IpNet>) =
            nets.into_iter().partition(|n| matches!(n, IpNet::V4(_)));
        if v4.is_empty() {
            return v6;
        }
        for net in v6 {
            self.notes.push(format!(
                "{origin}: {net} left out: the tunnel is IPv4 only, because IPv6 is off in the \
                 stack (no IPv6 leaks) and gluetun refuses IPv6 addresses then"
            ));
        }
        v4
    }

    fn ignore(&mut self, origin: Origin, reason: Option<&'static str>) {
        self.ignored.push(Ignored { origin, reason });
    }

    /// Validates the settings, tracing each error to the line that set the field.
    fn finish(mut self) -> Result<Built, ImportError> {
        if self.problems.is_empty() && self.changes.is_empty() && self.secrets.is_empty() {
            return Err(ImportError::NothingToImport);
        }
        let line_problems = !self.problems.is_empty();
        if let Err(e) = self.settings.validate() {
            for fe in e.field_errors() {
                let set_by = |field: Field| {
                    self.changes
                        .iter()
                        .find(|c| c.field == field)
                        .map(|c| c.origin.clone())
                };
                let origin = fe.field.field().and_then(|field| {
                    set_by(field).or_else(|| {
                        // The control port must differ from the Web UI
                        // port: blame the import.
                        (field == Field::StackControlPort)
                            .then(|| set_by(Field::StackWebuiPort))
                            .flatten()
                    })
                });
                let problem = match origin {
                    Some(o) => Problem {
                        line: Some(o.line),
                        var: Some(o.var),
                        message: fe.message.clone(),
                    },
                    // Likely a consequence of a line's problem (a value that
                    // could not be read): those come first.
                    None if line_problems => continue,
                    None => Problem {
                        line: None,
                        var: None,
                        message: match hint(self.format, &fe.field) {
                            Some(h) => format!(
                                "the settings would be invalid: {}: {} ({h})",
                                fe.field, fe.message
                            ),
                            None => format!("the settings would be invalid: {fe}"),
                        },
                    },
                };
                self.problems.push(problem);
            }
        }
        if !self.problems.is_empty() {
            self.problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
            return Err(ImportError::Invalid(self.problems));
        }
        Ok(Built {
            settings: self.settings,
            changes: self.changes,
            secrets: self.secrets,
            ignored: self.ignored,
            notes: self.notes,
        })
    }
}

struct Built {
    settings: Settings,
    changes: Vec<Change>,
    secrets: Vec<SecretImport>,
    ignored: Vec<Ignored>,
    notes: Vec<String>,
}

pub(super) fn build(
    bytes: &[u8],
    text: &str,
    format: Format,
    ctx: &ImportContext<'_>,
) -> Result<ImportPlan, ImportError> {
    let one = |p: Problem| ImportError::Invalid(vec![p]);
    let (built, scrubbed, rewritten) = match format {
        Format::Env => {
            let file = envfile::parse(text).map_err(one)?;
            let built = plan_env(&file, ctx)?;
            let scrubbed: Vec<Origin> = built.secrets.iter().map(|s| s.origin.clone()).collect();
            let lines: BTreeSet<usize> = scrubbed.iter().map(|o| o.line).collect();
            let rewritten =
                (!lines.is_empty()).then(|| file.scrub(&lines, scrub_comment).into_bytes());
            (built, scrubbed, rewritten)
        }
        Format::WgQuick => {
            let wg = wgquick::parse(text).map_err(one)?;
            (plan_wg(&wg, ctx)?, Vec::new(), None)
        }
    };
    let mut scrubbed = scrubbed;
    scrubbed.sort_by_key(|o| o.line);
    Ok(ImportPlan {
        format,
        settings: built.settings,
        previous: ctx.existing.clone(),
        changes: built.changes,
        secrets: built.secrets,
        scrubbed,
        rewritten,
        ignored: built.ignored,
        notes: built.notes,
        source_sha256: Sha256::digest(bytes).into(),
    })
}

fn plan_env(file: &envfile::EnvFile<'_>, ctx: &ImportContext<'_>) -> Result<Built, ImportError> {
    let mut b = Builder::new(ctx, Format::Env);
    let mut first_line: HashMap<&str, usize> = HashMap::new();
    let mut found: HashMap<Var, (usize, Origin, &SecretString)> = HashMap::new();
    for (line, a) in file.assignments() {
        let origin = Origin {
            line: line.number,
            var: a.key.clone(),
        };
        let Some((rank, var)) = ENV_VARS
            .iter()
            .enumerate()
            .find(|(_, (name, _))| *name == a.key)
            .map(|(i, (_, v))| (i, *v))
        else {
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
        match found.get(&var) {
            // The same setting under another of gluetun's names: the one
            // gluetun reads wins (its deprecated name, read first).
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
                    found.insert(var, (rank, origin, &a.value));
                }
            }
            None => {
                found.insert(var, (rank, origin, &a.value));
            }
        }
    }

    let mut endpoint_ip: Option<(Origin, IpAddr)> = None;
    let mut endpoint_port: Option<(Origin, u16)> = None;
    let old_provider = b.settings.vpn.provider.clone();
    let mut provider_origin: Option<Origin> = None;
    let mut public_key_set = false;
    for (_, var) in ENV_VARS {
        let Some((_, origin, value)) = found.remove(var) else {
            continue;
        };
        let origin = &origin;
        if let Some(kind) = secret_kind(*var) {
            b.secret(kind, origin, value);
            continue;
        }
        // Not a secret: messages may show the value.
        let v = value.expose_secret().trim();
        match var {
            Var::Provider => {
                let p = v.to_lowercase();
                if PROVIDERS.contains(&p.as_str()) {
                    provider_origin = Some(origin.clone());
                    b.set(Field::VpnProvider, origin, |s| &mut s.vpn.provider, p);
                } else {
                    b.problem(
                        origin,
                        format!(
                            "unknown provider {v:?}; expected one of: {}",
                            PROVIDERS.join(", ")
                        ),
                    );
                }
            }
            Var::VpnType => match v.to_lowercase().as_str() {
                "wireguard" => b.set(
                    Field::VpnType,
                    origin,
                    |s| &mut s.vpn.vpn_type,
                    VpnType::Wireguard,
                ),
                "openvpn" => b.set(
                    Field::VpnType,
                    origin,
                    |s| &mut s.vpn.vpn_type,
                    VpnType::Openvpn,
                ),
                _ => b.problem(origin, format!("{v:?} is not wireguard or openvpn")),
            },
            Var::WgAddresses => match parse_nets(v, true) {
                Ok(nets) => {
                    let nets = b.ipv4_addresses(origin, nets);
                    b.set(
                        Field::WireguardAddresses,
                        origin,
                        |s| &mut s.vpn.wireguard.addresses,
                        nets,
                    );
                }
                Err(why) => b.problem(origin, why),
            },
            Var::WgPublicKey => {
                public_key_set = true;
                if is_wireguard_key(v) {
                    b.set(
                        Field::WireguardPublicKey,
                        origin,
                        |s| &mut s.vpn.wireguard.public_key,
                        Some(v.to_owned()),
                    );
                } else {
                    b.problem(
                        origin,
                        "not a WireGuard key: it must be 44 characters of base64 (32 bytes)",
                    );
                }
            }
            Var::WgEndpointIp => match v.parse::<IpAddr>() {
                Ok(ip) => endpoint_ip = Some((origin.clone(), ip)),
                Err(_) => b.problem(
                    origin,
                    format!(
                        "{v:?} is not an IP address (the gateway needs an IP, not a host name)"
                    ),
                ),
            },
            Var::WgEndpointPort => match parse_port(v) {
                Ok(port) => endpoint_port = Some((origin.clone(), port)),
                Err(why) => b.problem(origin, why),
            },
            Var::ServerCountries => {
                let list: Vec<String> = v.split(',').map(|c| c.trim().to_owned()).collect();
                b.set(
                    Field::VpnServerCountries,
                    origin,
                    |s| &mut s.vpn.server_countries,
                    list,
                );
            }
            Var::PortForwarding => match parse_bool(v) {
                Some(on) => b.set(
                    Field::VpnPortForwarding,
                    origin,
                    |s| &mut s.vpn.port_forwarding,
                    on,
                ),
                None => b.problem(
                    origin,
                    format!("{v:?} is not on, off, true, false, yes or no"),
                ),
            },
            Var::PortForwardingProvider => match PortForwardProvider::from_name(v) {
                Some(p) => b.set(
                    Field::VpnPortForwardingProvider,
                    origin,
                    |s| &mut s.vpn.port_forwarding_provider,
                    Some(p),
                ),
                None => b.problem(
                    origin,
                    format!(
                        "{v:?} is not a provider gluetun forwards ports for: {}",
                        PORT_FORWARDING_PROVIDERS.join(", ")
                    ),
                ),
            },
            Var::LocalSubnet => match parse_nets(v, false) {
                Ok(nets) => b.set(
                    Field::StackLanSubnets,
                    origin,
                    |s| &mut s.stack.lan_subnets,
                    nets,
                ),
                Err(why) => b.problem(origin, why),
            },
            Var::DownloadsPath => match resolve_path(v, ctx) {
                Ok((path, note)) => {
                    if let Some(n) = note {
                        b.notes.push(format!("{origin}: {n}"));
                    }
                    b.set(
                        Field::StackDownloadsDir,
                        origin,
                        |s| &mut s.stack.downloads_dir,
                        path,
                    );
                }
                Err(why) => b.problem(origin, why),
            },
            Var::Puid | Var::Pgid => match v.parse::<u32>() {
                Ok(id) if *var == Var::Puid => {
                    b.set(Field::StackPuid, origin, |s| &mut s.stack.puid, id)
                }
                Ok(id) => b.set(Field::StackPgid, origin, |s| &mut s.stack.pgid, id),
                Err(_) => b.problem(origin, format!("{v:?} is not a number")),
            },
            Var::Tz => b.set(
                Field::StackTimezone,
                origin,
                |s| &mut s.stack.timezone,
                v.to_owned(),
            ),
            Var::QbUser => b.set(
                Field::QbittorrentUsername,
                origin,
                |s| &mut s.qbittorrent.username,
                v.to_owned(),
            ),
            Var::QbPort => match parse_port(v) {
                Ok(port) => b.set(
                    Field::StackWebuiPort,
                    origin,
                    |s| &mut s.stack.webui_port,
                    port,
                ),
                Err(why) => b.problem(origin, why),
            },
            Var::WgPrivateKey
            | Var::WgPresharedKey
            | Var::OpenvpnUser
            | Var::OpenvpnPassword
            | Var::QbPass => {}
        }
    }

    let existing = b.settings.vpn.wireguard.endpoint;
    let endpoint = match (endpoint_ip, endpoint_port) {
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
    if let Some(o) = provider_origin.filter(|_| b.settings.vpn.provider != old_provider) {
        if !endpoint_set && b.settings.vpn.wireguard.endpoint.is_some() {
            b.set(
                Field::WireguardEndpoint,
                &o,
                |s| &mut s.vpn.wireguard.endpoint,
                None,
            );
        }
        if !public_key_set && b.settings.vpn.wireguard.public_key.is_some() {
            b.set(
                Field::WireguardPublicKey,
                &o,
                |s| &mut s.vpn.wireguard.public_key,
                None,
            );
        }
    }
    b.finish()
}

fn plan_wg(wg: &wgquick::WgQuick, ctx: &ImportContext<'_>) -> Result<Built, ImportError> {
    let mut b = Builder::new(ctx, Format::WgQuick);
    let section = Origin {
        line: wg.interface.line,
        var: "[Interface]".to_owned(),
    };
    b.set(
        Field::VpnProvider,
        &section,
        |s| &mut s.vpn.provider,
        "custom".to_owned(),
    );
    b.set(
        Field::VpnType,
        &section,
        |s| &mut s.vpn.vpn_type,
        VpnType::Wireguard,
    );

    let mut addresses: Vec<IpNet> = Vec::new();
    let mut addresses_origin: Option<Origin> = None;
    for f in &wg.interface.fields {
        let origin = Origin {
            line: f.line,
            var: f.key.clone(),
        };
        match f.key.to_ascii_lowercase().as_str() {
            "privatekey" => b.secret(SecretKind::WireguardPrivateKey, &origin, &f.value),
            "address" => match parse_nets(f.value.expose_secret(), true) {
                Ok(nets) => {
                    addresses.extend(nets);
                    addresses_origin.get_or_insert(origin);
                }
                Err(why) => b.problem(&origin, why),
            },
            "dns" => b.ignore(
                origin,
                Some("the gateway answers DNS inside the tunnel itself"),
            ),
            _ => b.ignore(origin, None),
        }
    }
    if let Some(origin) = addresses_origin {
        let addresses = b.ipv4_addresses(&origin, addresses);
        b.set(
            Field::WireguardAddresses,
            &origin,
            |s| &mut s.vpn.wireguard.addresses,
            addresses,
        );
    }

    if let Some(peer) = &wg.peer {
        for f in &peer.fields {
            let origin = Origin {
                line: f.line,
                var: f.key.clone(),
            };
            let v = f.value.expose_secret();
            match f.key.to_ascii_lowercase().as_str() {
                "publickey" => {
                    if is_wireguard_key(v) {
                        b.set(
                            Field::WireguardPublicKey,
                            &origin,
                            |s| &mut s.vpn.wireguard.public_key,
                            Some(v.to_owned()),
                        );
                    } else {
                        b.problem(
                            &origin,
                            "not a WireGuard key: it must be 44 characters of base64 (32 bytes)",
                        );
                    }
                }
                "presharedkey" => b.secret(SecretKind::WireguardPresharedKey, &origin, &f.value),
                "endpoint" => match endpoint(v, ctx) {
                    Ok((addr, note)) => {
                        if let Some(n) = note {
                            b.notes.push(n);
                        }
                        b.set(
                            Field::WireguardEndpoint,
                            &origin,
                            |s| &mut s.vpn.wireguard.endpoint,
                            Some(addr),
                        );
                    }
                    Err(why) => b.problem(&origin, why),
                },
                "allowedips" => b.ignore(
                    origin,
                    Some("the gateway sends all traffic through the tunnel"),
                ),
                _ => b.ignore(origin, None),
            }
        }
    }
    b.finish()
}

/// An `Endpoint` as an address, resolving a host name (and saying so).
fn endpoint(v: &str, ctx: &ImportContext<'_>) -> Result<(SocketAddr, Option<String>), String> {
    match wgquick::parse_endpoint(v).map_err(str::to_owned)? {
        Endpoint::Addr(addr) => Ok((addr, None)),
        Endpoint::Host { host, port } => {
            let addrs = ctx
                .resolver
                .resolve(&host)
                .map_err(|e| format!("{host} could not be resolved: {e}"))?;
            let ip = wgquick::pick_address(&addrs)
                .ok_or_else(|| format!("{host} could not be resolved: no address"))?;
            let mut note = format!(
                "endpoint {host} resolved to {ip} (the gateway needs an IP; import again if the server moves)"
            );
            if addrs.len() > 1 {
                let _ = write!(
                    note,
                    "; {host} has {} addresses, this one is used",
                    addrs.len()
                );
            }
            Ok((SocketAddr::new(ip, port), Some(note)))
        }
    }
}

/// Comma-separated subnets (see [`crate::settings::parse_nets`]).
fn parse_nets(v: &str, hosts: bool) -> Result<Vec<IpNet>, String> {
    crate::settings::parse_nets(v.split(','), hosts)
}

fn parse_port(v: &str) -> Result<u16, String> {
    v.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("{v:?} is not a port number (1-65535)"))
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
