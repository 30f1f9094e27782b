//! The settings form: what the window shows and sends, and the pure
//! functions behind `load_settings` and `save_settings`.
//!
//! The form covers what a user sets up (provider, VPN type, the WireGuard
//! fields, countries, port forwarding, downloads folder, LAN access); every
//! other setting is kept as it is in the file. Values that need parsing
//! arrive as text and are parsed here, so that each wrong one is reported
//! next to its field, together with every error of [`Settings::validate`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};
use tvpn_core::paths::AppPaths;
use tvpn_core::secrets::{ExposeSecret, SecretError, SecretKind, SecretStore, SecretString};
use tvpn_core::settings::{
    is_wireguard_key, Field, FieldError, PortForwardProvider, Settings, VpnType,
    PORT_FORWARDING_PROVIDERS, PROVIDERS,
};

use super::demo::DemoSource;
use super::CommandError;

/// The editable settings, as the window's fields hold them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsForm {
    /// One of `PROVIDERS`.
    pub provider: String,
    /// `wireguard` or `openvpn`.
    pub vpn_type: String,
    /// Comma-separated.
    pub server_countries: String,
    pub port_forwarding: bool,
    /// Whose port forwarding gluetun runs (one of
    /// `PORT_FORWARDING_PROVIDERS`); empty for the provider's own.
    #[serde(default)]
    pub port_forwarding_provider: String,
    /// `IP:port`; empty for none.
    pub endpoint: String,
    /// The server's public key; empty for none.
    pub public_key: String,
    /// Comma- or space-separated addresses with prefix.
    pub addresses: String,
    pub downloads_dir: String,
    /// Publish the Web UI on the LAN (bind address other than 127.0.0.1).
    pub lan_access: bool,
    /// Comma- or space-separated subnets let through outside the tunnel.
    pub lan_subnets: String,
    /// `backup.daily`: one backup a day, the newest `backup.keep` kept.
    pub daily_backup: bool,
}

impl SettingsForm {
    pub fn from_settings(s: &Settings) -> Self {
        let join = |items: Vec<String>| items.join(", ");
        Self {
            provider: s.vpn.provider.clone(),
            vpn_type: s.vpn.vpn_type.as_str().to_owned(),
            server_countries: s.vpn.server_countries.join(", "),
            port_forwarding: s.vpn.port_forwarding,
            port_forwarding_provider: s
                .vpn
                .port_forwarding_provider
                .map(|p| p.name().to_owned())
                .unwrap_or_default(),
            endpoint: s
                .vpn
                .wireguard
                .endpoint
                .map(|e| e.to_string())
                .unwrap_or_default(),
            public_key: s.vpn.wireguard.public_key.clone().unwrap_or_default(),
            addresses: join(
                s.vpn
                    .wireguard
                    .addresses
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            ),
            downloads_dir: s.stack.downloads_dir.display().to_string(),
            lan_access: !s.stack.bind_address.is_loopback(),
            lan_subnets: join(
                s.stack
                    .lan_subnets
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            ),
            daily_backup: s.backup.daily,
        }
    }
}

/// Secrets typed into the window. Each arrives as a plain string and is
/// wrapped into a [`SecretString`] while it is deserialized; an empty field
/// means "keep what is stored". `Debug` shows no value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsInput {
    #[serde(deserialize_with = "secret_field")]
    pub wireguard_private_key: Option<SecretString>,
    #[serde(deserialize_with = "secret_field")]
    pub wireguard_preshared_key: Option<SecretString>,
    #[serde(deserialize_with = "secret_field")]
    pub openvpn_user: Option<SecretString>,
    #[serde(deserialize_with = "secret_field")]
    pub openvpn_password: Option<SecretString>,
}

/// A secret string, trimmed in place (no copy is left behind), `None` when empty.
fn secret_field<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    let Some(mut s) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    s.truncate(s.trim_end().len());
    let lead = s.len() - s.trim_start().len();
    s.drain(..lead);
    if s.is_empty() {
        return Ok(None);
    }
    Ok(Some(SecretString::from(s)))
}

impl SecretsInput {
    /// The given secrets, by kind.
    pub fn given(&self) -> Vec<(SecretKind, &SecretString)> {
        [
            (SecretKind::WireguardPrivateKey, &self.wireguard_private_key),
            (
                SecretKind::WireguardPresharedKey,
                &self.wireguard_preshared_key,
            ),
            (SecretKind::OpenvpnUser, &self.openvpn_user),
            (SecretKind::OpenvpnPassword, &self.openvpn_password),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect()
    }
}

/// The secret kinds a user types in; the others are generated by the app.
pub const USER_SECRETS: [SecretKind; 4] = [
    SecretKind::WireguardPrivateKey,
    SecretKind::WireguardPresharedKey,
    SecretKind::OpenvpnUser,
    SecretKind::OpenvpnPassword,
];

/// Whether one secret is stored; `stored` is `None` when the keychain could
/// not be asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretStatus {
    pub kind: SecretKind,
    pub label: &'static str,
    pub stored: Option<bool>,
    /// False for the items the app generates itself.
    pub user_set: bool,
}

/// The demo offer, as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoOffer {
    pub available: bool,
    /// The lab's settings file is there (otherwise trying it starts the lab).
    pub ready: bool,
    pub settings_file: String,
}

/// Everything the window shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingsView {
    /// A settings file exists (otherwise the window shows onboarding).
    pub configured: bool,
    pub settings_file: String,
    /// Why the existing settings file could not be read (the form then
    /// shows defaults, and saving replaces the file).
    pub load_error: Option<String>,
    pub profile: String,
    /// The qBittorrent Web UI's user and address, for the login hint.
    pub webui_username: String,
    pub webui_url: String,
    pub form: SettingsForm,
    pub secrets: Vec<SecretStatus>,
    pub keychain_error: Option<String>,
    pub providers: Vec<&'static str>,
    pub port_forwarding_providers: Vec<&'static str>,
    pub demo: DemoOffer,
}

/// The current settings for the window, or defaults before the first setup.
pub fn load_view(
    paths: &AppPaths,
    store: Result<&dyn SecretStore, CommandError>,
    demo: &DemoSource,
) -> SettingsView {
    let file = paths.settings_file();
    let (settings, configured, load_error) = match Settings::load(&file) {
        Ok(Some(s)) => (s, true, None),
        Ok(None) => (Settings::new_custom_wireguard(), false, None),
        Err(e) => (Settings::new_custom_wireguard(), true, Some(e.to_string())),
    };
    let mut keychain_error = None;
    let secrets = tvpn_core::secrets::SecretKind::ALL
        .into_iter()
        .map(|kind| {
            let stored = match &store {
                Ok(s) => match s.get(&settings.profile, kind) {
                    Ok(v) => Some(v.is_some()),
                    Err(e) => {
                        keychain_error.get_or_insert_with(|| e.to_string());
                        None
                    }
                },
                Err(e) => {
                    keychain_error.get_or_insert_with(|| e.message.clone());
                    None
                }
            };
            SecretStatus {
                kind,
                label: kind.label(),
                stored,
                user_set: USER_SECRETS.contains(&kind),
            }
        })
        .collect();
    SettingsView {
        configured,
        settings_file: file.display().to_string(),
        webui_username: settings.qbittorrent.username.clone(),
        webui_url: tvpn_core::stack::harden::webui_url(&settings),
        load_error,
        profile: settings.profile.clone(),
        form: SettingsForm::from_settings(&settings),
        secrets,
        keychain_error,
        providers: PROVIDERS.to_vec(),
        port_forwarding_providers: PORT_FORWARDING_PROVIDERS.to_vec(),
        demo: demo.offer(),
    }
}

/// The settings the form describes, starting from `base` (so settings the
/// form does not show are kept), and every field error: parse errors first,
/// then [`Settings::validate`]'s for the other fields.
pub fn settings_from_form(base: Settings, form: &SettingsForm) -> (Settings, Vec<FieldError>) {
    let mut s = base;
    let mut errors: Vec<FieldError> = Vec::new();
    let mut err = |field: Field, message: String| errors.push(FieldError::new(field, message));

    s.vpn.provider = form.provider.trim().to_lowercase();
    match form.vpn_type.as_str() {
        "wireguard" => s.vpn.vpn_type = VpnType::Wireguard,
        "openvpn" => s.vpn.vpn_type = VpnType::Openvpn,
        other => err(
            Field::VpnType,
            format!("{other:?} is not wireguard or openvpn"),
        ),
    }
    s.vpn.server_countries = split_list(&form.server_countries, false)
        .map(str::to_owned)
        .collect();
    s.vpn.port_forwarding = form.port_forwarding;
    let forwarder = form.port_forwarding_provider.trim();
    s.vpn.port_forwarding_provider = if forwarder.is_empty() {
        None
    } else {
        match PortForwardProvider::from_name(forwarder) {
            Some(p) => Some(p),
            None => {
                err(
                    Field::VpnPortForwardingProvider,
                    format!(
                        "{forwarder:?} is not one of {}",
                        PORT_FORWARDING_PROVIDERS.join(", ")
                    ),
                );
                None
            }
        }
    };

    let endpoint = form.endpoint.trim();
    s.vpn.wireguard.endpoint = if endpoint.is_empty() {
        None
    } else {
        match endpoint.parse::<SocketAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                err(
                    Field::WireguardEndpoint,
                    format!(
                        "{endpoint:?} is not IP:port, e.g. 185.65.134.66:51820 \
                         (the gateway needs an IP, not a host name)"
                    ),
                );
                None
            }
        }
    };
    let key = form.public_key.trim();
    s.vpn.wireguard.public_key = (!key.is_empty()).then(|| key.to_owned());
    match parse_nets(&form.addresses, true) {
        Ok(nets) => s.vpn.wireguard.addresses = nets,
        Err(why) => err(Field::WireguardAddresses, why),
    }

    s.stack.downloads_dir = expand_home(form.downloads_dir.trim());
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let current = s.stack.bind_address;
    s.stack.bind_address = match form.lan_access {
        false => loopback,
        // Keep a specific LAN address the file names.
        true if !current.is_loopback() && !current.is_unspecified() => current,
        // This machine's address on the LAN, never every address.
        true => match tvpn_core::settings::exposure::lan_address_of_this_host() {
            Some(address) => address,
            None => {
                err(
                    Field::StackBindAddress,
                    "this machine has no address on a private network to publish the Web UI on"
                        .to_owned(),
                );
                loopback
            }
        },
    };
    match parse_nets(&form.lan_subnets, false) {
        Ok(nets) => s.stack.lan_subnets = nets,
        Err(why) => err(Field::StackLanSubnets, why),
    }
    s.backup.daily = form.daily_backup;

    if let Err(e) = s.validate() {
        for fe in e.field_errors() {
            // A field that could not be parsed already says why.
            let said =
                |p: &FieldError| p.field.field().is_some_and(|f| fe.field.field() == Some(f));
            if !errors.iter().any(said) {
                errors.push(fe.clone());
            }
        }
    }
    (s, errors)
}

fn split_list(text: &str, spaces: bool) -> impl Iterator<Item = &str> {
    text.split(move |c: char| c == ',' || c == '\n' || (spaces && c.is_whitespace()))
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

/// Subnets; with `hosts`, a bare address is a host route, as wg-quick reads it.
fn parse_nets(text: &str, hosts: bool) -> Result<Vec<ipnet::IpNet>, String> {
    tvpn_core::settings::parse_nets(split_list(text, true), hosts)
}

fn expand_home(p: &str) -> PathBuf {
    let home = || std::env::var_os("HOME").map(PathBuf::from);
    match p.strip_prefix("~/") {
        Some(rest) => home().map_or_else(|| PathBuf::from(p), |h| h.join(rest)),
        None if p == "~" => home().unwrap_or_else(|| PathBuf::from(p)),
        None => PathBuf::from(p),
    }
}

/// Errors in the typed secrets, and the required ones that are neither
/// typed nor stored for `profile`.
fn check_secrets(
    settings: &Settings,
    secrets: &SecretsInput,
    store: &dyn SecretStore,
) -> Result<Vec<FieldError>, SecretError> {
    let mut errors = Vec::new();
    for (kind, value) in secrets.given() {
        let v = value.expose_secret();
        let message = match kind {
            SecretKind::WireguardPrivateKey | SecretKind::WireguardPresharedKey
                if !is_wireguard_key(v) =>
            {
                Some(format!(
                    "not a WireGuard key: a {} is 44 characters of base64 (32 bytes), \
                     like the {} line of a wg-quick file",
                    kind.label(),
                    if kind == SecretKind::WireguardPrivateKey {
                        "PrivateKey"
                    } else {
                        "PresharedKey"
                    }
                ))
            }
            _ if v.contains(['\n', '\r', '\0']) => Some("must be a single line".to_owned()),
            _ => None,
        };
        if let Some(message) = message {
            errors.push(FieldError::new(Field::Secret(kind), message));
        }
    }
    let required: &[SecretKind] = match settings.vpn.vpn_type {
        VpnType::Wireguard => &[SecretKind::WireguardPrivateKey],
        VpnType::Openvpn => &[SecretKind::OpenvpnUser, SecretKind::OpenvpnPassword],
    };
    for &kind in required {
        let given = secrets.given().iter().any(|(k, _)| *k == kind);
        if !given && store.get(&settings.profile, kind)?.is_none() {
            errors.push(FieldError::new(
                Field::Secret(kind),
                format!("required: paste the {}", kind.label()),
            ));
        }
    }
    Ok(errors)
}

/// Validate the form and the secrets; when everything is valid, store the
/// secrets and save the settings together ([`tvpn_core::settings::commit`]).
/// On any error nothing has changed.
pub fn save(
    settings_file: &Path,
    store: &dyn SecretStore,
    form: &SettingsForm,
    secrets: SecretsInput,
) -> Result<(), CommandError> {
    let base = match Settings::load(settings_file) {
        Ok(Some(s)) => s,
        // No file yet, or one that cannot be read: the form replaces it.
        Ok(None) | Err(_) => Settings::new_custom_wireguard(),
    };
    let (settings, mut errors) = settings_from_form(base, form);
    errors.extend(check_secrets(&settings, &secrets, store).map_err(keychain_error)?);
    if !errors.is_empty() {
        return Err(CommandError {
            message: format!(
                "{} field{} to fix; nothing was saved",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            ),
            fields: errors,
            details: Vec::new(),
        });
    }

    let given: Vec<(SecretKind, SecretString)> = secrets
        .given()
        .into_iter()
        .map(|(kind, value)| (kind, value.clone()))
        .collect();
    tvpn_core::settings::commit(settings_file, &settings, &given, Some(store)).map_err(|e| {
        CommandError {
            message: e.to_string(),
            fields: e.field_errors().to_vec(),
            details: Vec::new(),
        }
    })?;
    Ok(())
}

fn keychain_error(e: SecretError) -> CommandError {
    CommandError::msg(format!("{e}; nothing was saved"))
}
