//! The [`Builder`] both importers fill: the settings as they change (each
//! [`Change`] with its [`Origin`]), the secrets for the keychain, what is
//! left out and why, and every [`Problem`]. [`Builder::finish`] validates
//! the settings and traces each error to the line that set its field.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};

use super::{Format, ImportContext, ImportError, Problem};
use crate::secrets::SecretKind;
use crate::settings::{is_wireguard_key, Field, FieldPath, PortForwardProvider, Settings, VpnType};

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

/// How a value is shown in the plan: as TOML would write it.
pub(super) trait Show {
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

/// The message for a value that is not a WireGuard key.
pub(super) const NOT_A_KEY: &str =
    "not a WireGuard key: it must be 44 characters of base64 (32 bytes)";

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

/// An import in the making.
pub(super) struct Builder {
    format: Format,
    pub(super) settings: Settings,
    changes: Vec<Change>,
    secrets: Vec<SecretImport>,
    ignored: Vec<Ignored>,
    pub(super) notes: Vec<String>,
    problems: Vec<Problem>,
}

/// What a finished [`Builder`] holds.
pub(super) struct Built {
    pub(super) settings: Settings,
    pub(super) changes: Vec<Change>,
    pub(super) secrets: Vec<SecretImport>,
    pub(super) ignored: Vec<Ignored>,
    pub(super) notes: Vec<String>,
}

impl Builder {
    /// Starts from the current settings, or an empty custom WireGuard profile.
    pub(super) fn new(ctx: &ImportContext<'_>, format: Format) -> Self {
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

    /// Sets `field` (the value `slot` points to), recording the change.
    pub(super) fn set<T: Show + PartialEq>(
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

    pub(super) fn problem(&mut self, origin: &Origin, message: impl Into<String>) {
        self.problems.push(Problem {
            line: Some(origin.line),
            var: Some(origin.var.clone()),
            message: message.into(),
        });
    }

    /// A secret for the keychain; an error (naming no value) when it
    /// cannot be one.
    pub(super) fn secret(
        &mut self,
        kind: SecretKind,
        origin: &Origin,
        value: &SecretString,
    ) -> Result<(), &'static str> {
        let v = value.expose_secret();
        let is_key = matches!(
            kind,
            SecretKind::WireguardPrivateKey | SecretKind::WireguardPresharedKey
        );
        if is_key && !is_wireguard_key(v) {
            return Err(NOT_A_KEY);
        }
        if v.contains('\n') {
            return Err("must be a single line");
        }
        self.secrets.push(SecretImport {
            kind,
            origin: origin.clone(),
            value: value.clone(),
        });
        Ok(())
    }

    /// The interface addresses without the IPv6 ones, each left out with a
    /// note: IPv6 is off in the stack, so gluetun would refuse them
    /// (`wireguard.go`) and the tunnel is IPv4 only. When no IPv4 address is
    /// left, they are kept for validation to name.
    pub(super) fn ipv4_addresses(&mut self, origin: &Origin, nets: Vec<IpNet>) -> Vec<IpNet> {
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

    pub(super) fn ignore(&mut self, origin: Origin, reason: Option<&'static str>) {
        self.ignored.push(Ignored { origin, reason });
    }

    /// Validates the settings, tracing each error to the line that set the field.
    pub(super) fn finish(mut self) -> Result<Built, ImportError> {
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

/// Comma-separated subnets (see [`crate::settings::parse_nets`]).
pub(super) fn parse_nets(v: &str, hosts: bool) -> Result<Vec<IpNet>, String> {
    crate::settings::parse_nets(v.split(','), hosts)
}
