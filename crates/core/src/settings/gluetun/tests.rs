//! The rule table against gluetun's refusals (`cases.toml`, each case citing
//! its gluetun source file), plus what gluetun accepts.

use std::collections::HashSet;

use super::cases::{self, Case};
use super::*;
use crate::settings::Settings;

struct Stored(Vec<SecretKind>);

impl SecretPresence for Stored {
    fn has(&self, kind: SecretKind) -> bool {
        self.0.contains(&kind)
    }
    fn user_is_ivpn_account_id(&self) -> bool {
        false
    }
}

/// The app's verdict on a case: the fields it refuses.
fn refused_fields(case: &Case) -> Vec<String> {
    let settings = case.settings();
    let mut fields: Vec<String> = match settings.validate() {
        Ok(()) => Vec::new(),
        Err(e) => e
            .field_errors()
            .iter()
            .map(|f| f.field.to_string())
            .collect(),
    };
    if fields.is_empty() {
        fields = check_secrets(&settings, &Stored(case.secrets()))
            .into_iter()
            .map(|r| r.field)
            .collect();
    }
    fields
}

#[test]
fn every_case_is_refused_naming_its_field() {
    let all = cases::load();
    assert!(all.len() >= 30, "only {} cases", all.len());
    let mut names = HashSet::new();
    for case in &all {
        assert!(
            names.insert(case.name.clone()),
            "duplicate case {}",
            case.name
        );
        assert!(
            case.source.contains(".go"),
            "case {} cites no gluetun source file",
            case.name
        );
        let generations = case.generations();
        // Checked for the generations the case applies to, as the manager
        // does with the image's version label.
        let settings = case.settings();
        let mut fields: Vec<String> = check(&settings, &generations)
            .into_iter()
            .map(|r| r.field)
            .collect();
        if fields.is_empty() {
            fields = refused_fields(case);
        }
        // gluetun stops at its first refusal; the app names that field first.
        assert_eq!(
            fields.first(),
            Some(&case.field),
            "case {} ({}): the app must refuse {}",
            case.name,
            case.source,
            case.field
        );
    }
}

#[test]
fn settings_validate_refuses_the_settings_cases() {
    // Cases about settings (not secrets) fail `Settings::validate`, so
    // nothing invalid is ever saved, imported or connected.
    for case in cases::load() {
        if case.field.starts_with("secrets.") || case.generations().len() < Generation::ALL.len() {
            continue;
        }
        let err = case.validate().expect_err(&case.name);
        let fields: Vec<String> = err
            .field_errors()
            .iter()
            .map(|f| f.field.to_string())
            .collect();
        assert_eq!(fields, vec![case.field.clone()], "case {}", case.name);
    }
}

#[test]
fn refusals_say_what_would_work() {
    for case in cases::load() {
        let settings = case.settings();
        let mut messages: Vec<String> = check(&settings, &case.generations())
            .into_iter()
            .map(|r| r.message)
            .collect();
        messages.extend(
            check_secrets(&settings, &Stored(case.secrets()))
                .into_iter()
                .map(|r| r.message),
        );
        let m = messages
            .first()
            .unwrap_or_else(|| panic!("case {}", case.name));
        assert!(m.len() > 30, "case {}: {m}", case.name);
        assert!(
            m.contains(".go") || m.contains("level"),
            "case {}: {m}",
            case.name
        );
    }
}

fn base() -> Settings {
    let s = Settings::from_toml_str(&cases::base_toml()).unwrap();
    assert!(check(&s, &Generation::ALL).is_empty());
    s
}

#[test]
fn what_gluetun_accepts_is_accepted() {
    type Edit = Box<dyn Fn(&mut Settings)>;
    let accepted: Vec<(&str, Edit)> = vec![
        ("the base profile", Box::new(|_| {})),
        (
            "custom with protonvpn port forwarding (portforward.go)",
            Box::new(|s| {
                s.vpn.port_forwarding = true;
                s.vpn.port_forwarding_provider = Some(PortForwardProvider::Protonvpn);
            }),
        ),
        (
            "protonvpn's own port forwarding, no endpoint",
            Box::new(|s| {
                s.vpn.provider = "protonvpn".into();
                s.vpn.wireguard.endpoint = None;
                s.vpn.wireguard.public_key = None;
                s.vpn.port_forwarding = true;
                s.vpn.server_countries = vec!["Sweden".into()];
            }),
        ),
        (
            "mullvad with any endpoint port (wireguardselection.go)",
            Box::new(|s| {
                s.vpn.provider = "mullvad".into();
                s.vpn.wireguard.endpoint = Some("10.222.0.3:4000".parse().unwrap());
            }),
        ),
        (
            "airvpn on a listed port",
            Box::new(|s| {
                s.vpn.provider = "airvpn".into();
                s.vpn.wireguard.endpoint = Some("10.222.0.3:1637".parse().unwrap());
            }),
        ),
        (
            "tuning options",
            Box::new(|s| {
                for (k, v) in [
                    ("WIREGUARD_MTU", "1280"),
                    ("WIREGUARD_PERSISTENT_KEEPALIVE_INTERVAL", "25s"),
                    ("WIREGUARD_IMPLEMENTATION", "userspace"),
                    ("LOG_LEVEL", "DEBUG"),
                    ("HEALTH_SMALL_CHECK_PERIOD", "1m30s"),
                ] {
                    s.stack.gateway_env.insert(k.into(), v.into());
                }
            }),
        ),
        (
            "mullvad OpenVPN before master",
            Box::new(|s| {
                s.vpn.provider = "mullvad".into();
                s.vpn.vpn_type = VpnType::Openvpn;
                s.stack.gateway_image = "qmcgaw/gluetun:v3.41.1".into();
            }),
        ),
        (
            "OpenVPN over TCP on a listed port",
            Box::new(|s| {
                s.vpn.provider = "private internet access".into();
                s.vpn.vpn_type = VpnType::Openvpn;
                s.stack
                    .gateway_env
                    .insert("OPENVPN_PROTOCOL".into(), "tcp".into());
                s.stack
                    .gateway_env
                    .insert("OPENVPN_ENDPOINT_PORT".into(), "443".into());
            }),
        ),
    ];
    for (what, change) in accepted {
        let mut s = base();
        change(&mut s);
        assert_eq!(s.validate().map_err(|e| e.to_string()), Ok(()), "{what}");
    }
}

#[test]
fn generations_from_versions_labels_and_tags() {
    assert_eq!(Generation::from_version("v3.40.4"), Some(Generation::V3_40));
    assert_eq!(Generation::from_version("v3.39.1"), Some(Generation::V3_40));
    assert_eq!(Generation::from_version("3.41.1"), Some(Generation::V3_41));
    assert_eq!(
        Generation::from_version("v3.42.0"),
        Some(Generation::Master)
    );
    assert_eq!(Generation::from_version("latest"), Some(Generation::Master));
    assert_eq!(Generation::from_version("pr-3100"), None);
    use crate::settings::image_generations;
    assert_eq!(
        image_generations("qmcgaw/gluetun:v3.40.4", None),
        vec![Generation::V3_40]
    );
    assert_eq!(
        image_generations("qmcgaw/gluetun", None),
        vec![Generation::Master]
    );
    // The label wins over the tag; a digest alone could be any release.
    assert_eq!(
        image_generations("qmcgaw/gluetun:latest", Some("v3.41.1")),
        vec![Generation::V3_41]
    );
    let digest =
        "qmcgaw/gluetun@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_eq!(image_generations(digest, None), Generation::ALL.to_vec());
    assert_eq!(
        image_generations("registry:5000/gluetun:custom-build", None),
        Generation::ALL.to_vec()
    );
}

#[test]
fn mullvad_openvpn_depends_on_the_generation() {
    let mut s = base();
    s.vpn.provider = "mullvad".into();
    s.vpn.vpn_type = VpnType::Openvpn;
    assert!(check(&s, &[Generation::V3_40, Generation::V3_41]).is_empty());
    let refused = check(&s, &[Generation::Master]);
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].field, "vpn.type");
    // An image of unknown release is held to every generation's rules.
    assert_eq!(check(&s, &Generation::ALL).len(), 1);
}

#[test]
fn ivpn_account_ids_need_no_password() {
    assert!(is_ivpn_account_id("i-AbC1-dEf2-GhI3"));
    assert!(is_ivpn_account_id("ivpn-AbC1-dEf2-GhI3"));
    assert!(!is_ivpn_account_id("i-AbC1-dEf2"));
    assert!(!is_ivpn_account_id("someone@example.org"));
    struct Account;
    impl SecretPresence for Account {
        fn has(&self, kind: SecretKind) -> bool {
            kind == SecretKind::OpenvpnUser
        }
        fn user_is_ivpn_account_id(&self) -> bool {
            true
        }
    }
    let mut s = base();
    s.vpn.provider = "ivpn".into();
    s.vpn.vpn_type = VpnType::Openvpn;
    assert!(check_secrets(&s, &Account).is_empty());
}

#[test]
fn go_durations() {
    for ok in ["0", "25s", "1m30s", "500ms", "1h", "1.5s"] {
        assert!(parse_go_duration(ok).is_some(), "{ok}");
    }
    for bad in ["", "forever", "25", "-5s", "5 s", "1d"] {
        assert!(parse_go_duration(bad).is_none(), "{bad}");
    }
}

#[test]
fn the_table_covers_every_provider_the_settings_know() {
    for name in crate::settings::PROVIDERS {
        assert!(provider(name).is_some(), "{name} has no rules");
    }
    let forwarding: Vec<_> = port_forwarding_providers().collect();
    assert_eq!(forwarding, crate::settings::PORT_FORWARDING_PROVIDERS);
    for p in PortForwardProvider::ALL {
        assert_eq!(PortForwardProvider::from_name(p.name()), Some(p));
        assert!(forwarding.contains(&p.name()));
    }
}
