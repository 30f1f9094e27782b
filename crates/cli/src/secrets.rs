//! `tvpn secrets`: put, list and delete keychain items. Values are read from
//! stdin and never printed.

use std::io::Read;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Subcommand;
use tvpn_core::paths::AppPaths;
use tvpn_core::secrets::{KeyringStore, SecretKind, SecretString, Secrets};
use tvpn_core::settings::Settings;

#[derive(Subcommand)]
pub enum SecretsCommand {
    /// Store a secret read from stdin (one line; a trailing newline is dropped).
    Set {
        /// wireguard-private-key, wireguard-preshared-key, openvpn-user,
        /// openvpn-password, qbittorrent-password or control-api-key.
        kind: String,
    },
    /// List which secrets are stored for the profile (never their values).
    List,
    /// Remove a secret from the keychain.
    Delete { kind: String },
}

fn parse_kind(key: &str) -> anyhow::Result<SecretKind> {
    SecretKind::from_key(key).with_context(|| {
        let all: Vec<_> = SecretKind::ALL.iter().map(|k| k.key()).collect();
        format!(
            "unknown secret {key:?}; expected one of: {}",
            all.join(", ")
        )
    })
}

/// The secrets of the configured profile (`default` before any setup),
/// named by the settings file even when the rest of it is not usable.
pub fn open(paths: &AppPaths) -> anyhow::Result<Secrets> {
    let profile =
        Settings::profile_in(&paths.settings_file())?.unwrap_or_else(|| "default".to_owned());
    let store = KeyringStore::open()?;
    Ok(Secrets::new(Arc::new(store), profile))
}

pub async fn run(paths: &AppPaths, cmd: SecretsCommand) -> anyhow::Result<()> {
    match cmd {
        SecretsCommand::Set { kind } => {
            let kind = parse_kind(&kind)?;
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .context("reading the secret from stdin")?;
            let value = input.strip_suffix('\n').unwrap_or(&input);
            let value = value.strip_suffix('\r').unwrap_or(value);
            if kind.is_pem() {
                // Certificates and keys are PEM files, read whole.
                if !value.trim_start().starts_with("-----BEGIN ") {
                    bail!(
                        "expected the {} as a PEM file (-----BEGIN …) on stdin",
                        kind.label()
                    );
                }
            } else if value.is_empty() || value.contains('\n') {
                bail!("expected one non-empty line on stdin for {}", kind.label());
            }
            if matches!(
                kind,
                SecretKind::WireguardPrivateKey | SecretKind::WireguardPresharedKey
            ) && !tvpn_core::settings::is_wireguard_key(value)
            {
                bail!(
                    "the {} must be 44 characters of base64 (32 bytes)",
                    kind.label()
                );
            }
            let secrets = open(paths)?;
            secrets
                .set(kind, SecretString::from(value.to_owned()))
                .await?;
            println!("stored {} for profile {}", kind.label(), secrets.profile());
        }
        SecretsCommand::List => {
            let secrets = open(paths)?;
            println!("profile {} in {}", secrets.profile(), secrets.backend());
            for kind in SecretKind::ALL {
                let state = if secrets.get(kind).await?.is_some() {
                    "stored"
                } else {
                    "-"
                };
                println!("  {:<26} {state}", kind.key());
            }
        }
        SecretsCommand::Delete { kind } => {
            let kind = parse_kind(&kind)?;
            let secrets = open(paths)?;
            secrets.delete(kind).await?;
            println!("removed {} for profile {}", kind.label(), secrets.profile());
        }
    }
    Ok(())
}
