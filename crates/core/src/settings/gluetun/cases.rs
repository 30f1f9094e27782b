//! The refusal cases of `cases.toml`, for the rule table's unit tests and
//! the lab's contract tests against the gluetun stand-in. Test code: a
//! malformed case is a bug in the table, and panics naming it.
#![allow(clippy::expect_used, clippy::panic)]

use serde::Deserialize;

use super::Generation;
use crate::secrets::SecretKind;
use crate::settings::{Settings, SettingsError, VpnType};

/// The cases file, as shipped with the source.
pub const CASES_TOML: &str = include_str!("cases.toml");

/// A WireGuard key for the base profile (32 bytes of base64; not secret).
pub const BASE_PUBLIC_KEY: &str = "mV8G3r5DkO4zv2nM7Q1wYxJ0aUeHcTbLsZpRfNgKi0A=";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    pub source: String,
    #[serde(default)]
    pub settings: String,
    #[serde(default)]
    pub unset: Vec<String>,
    pub secrets: Option<Vec<String>>,
    #[serde(default)]
    pub generations: Vec<String>,
    pub field: String,
    pub gluetun: String,
    pub gluetun_v3_40: Option<String>,
    pub gluetun_v3_41: Option<String>,
    pub gluetun_latest: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    case: Vec<Case>,
}

pub fn load() -> Vec<Case> {
    let file: File = toml::from_str(CASES_TOML).expect("cases.toml parses");
    file.case
}

/// The valid profile every case starts from: a custom WireGuard server.
pub fn base_toml() -> String {
    format!(
        r#"profile = "rules"
[vpn]
provider = "custom"
type = "wireguard"
[vpn.wireguard]
endpoint = "10.222.0.3:51820"
public_key = "{BASE_PUBLIC_KEY}"
addresses = ["10.66.66.2/32"]
[stack]
project = "tvpn-rules"
gateway_image = "tvpn-lab/gateway:latest"
downloads_dir = "/tmp/tvpn-rules-downloads"
"#
    )
}

fn merge(into: &mut toml::Table, from: toml::Table) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) => merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

fn unset(table: &mut toml::Table, path: &str) {
    match path.split_once('.') {
        Some((head, rest)) => {
            if let Some(toml::Value::Table(t)) = table.get_mut(head) {
                unset(t, rest);
            }
        }
        None => {
            table.remove(path);
        }
    }
}

impl Case {
    /// The case's settings, not validated (what a lenient app would use).
    pub fn settings(&self) -> Settings {
        let mut table: toml::Table = toml::from_str(&base_toml()).expect("base profile");
        let extra: toml::Table = toml::from_str(&self.settings)
            .unwrap_or_else(|e| panic!("case {}: settings: {e}", self.name));
        merge(&mut table, extra);
        for path in &self.unset {
            unset(&mut table, path);
        }
        toml::Value::Table(table)
            .try_into()
            .unwrap_or_else(|e| panic!("case {}: {e}", self.name))
    }

    /// What `Settings::validate` says about the case.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.settings().validate()
    }

    /// The Keychain items present.
    pub fn secrets(&self) -> Vec<SecretKind> {
        match &self.secrets {
            Some(keys) => keys
                .iter()
                .map(|k| SecretKind::from_key(k).unwrap_or_else(|| panic!("secret kind {k}")))
                .collect(),
            None => match self.settings().vpn.vpn_type {
                VpnType::Wireguard => vec![
                    SecretKind::WireguardPrivateKey,
                    SecretKind::WireguardPresharedKey,
                ],
                VpnType::Openvpn => vec![SecretKind::OpenvpnUser, SecretKind::OpenvpnPassword],
            },
        }
    }

    pub fn generations(&self) -> Vec<Generation> {
        if self.generations.is_empty() {
            return Generation::ALL.to_vec();
        }
        self.generations
            .iter()
            .map(|g| Generation::from_version(g).unwrap_or_else(|| panic!("generation {g}")))
            .collect()
    }

    /// gluetun's `ERROR` message for one generation.
    pub fn message(&self, generation: Generation) -> &str {
        let specific = match generation {
            Generation::V3_40 => &self.gluetun_v3_40,
            Generation::V3_41 => &self.gluetun_v3_41,
            Generation::Master => &self.gluetun_latest,
        };
        specific.as_deref().unwrap_or(&self.gluetun)
    }

    /// A stand-in value for a secret of this kind, shaped as gluetun
    /// expects it (keys are base64 of 32 bytes, certificates PEM).
    pub fn secret_value(kind: SecretKind) -> String {
        match kind {
            SecretKind::WireguardPrivateKey => "oK6fWz0p8x1cJ3y2bJQm4bHjk5WcQXvbN7eF1gTqk3E=".into(),
            SecretKind::WireguardPresharedKey => "ISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0A=".into(),
            SecretKind::OpenvpnClientCert => {
                "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZmFrZQ==\n-----END CERTIFICATE-----\n".into()
            }
            SecretKind::OpenvpnClientKey | SecretKind::OpenvpnEncryptedKey => {
                "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQ==\n-----END PRIVATE KEY-----\n".into()
            }
            other => format!("{}-value", other.key()),
        }
    }
}
