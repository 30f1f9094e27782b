//! A wg-quick file's keys as settings: a custom WireGuard provider, the
//! `[Interface]` addresses and private key, the `[Peer]` public key,
//! pre-shared key and endpoint (a host name resolved through the injected
//! resolver, and said so).

use std::fmt::Write as _;
use std::net::SocketAddr;

use ipnet::IpNet;
use secrecy::ExposeSecret;

use super::builder::{parse_nets, Builder, Built, Origin, NOT_A_KEY};
use super::wgquick::{self, Endpoint, WgQuick};
use super::{Format, ImportContext, ImportError};
use crate::secrets::SecretKind;
use crate::settings::{is_wireguard_key, Field, VpnType};

pub(super) fn plan(wg: &WgQuick, ctx: &ImportContext<'_>) -> Result<Built, ImportError> {
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
            "privatekey" => {
                if let Err(why) = b.secret(SecretKind::WireguardPrivateKey, &origin, &f.value) {
                    b.problem(&origin, why);
                }
            }
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
                        b.problem(&origin, NOT_A_KEY);
                    }
                }
                "presharedkey" => {
                    if let Err(why) = b.secret(SecretKind::WireguardPresharedKey, &origin, &f.value)
                    {
                        b.problem(&origin, why);
                    }
                }
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
