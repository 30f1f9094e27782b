use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use secrecy::ExposeSecret;

use super::*;
use crate::secrets::{MemoryStore, SecretError, SecretKind, SecretStore, SecretString, Secrets};
use crate::settings::{CommitError, Field};

const PRIVATE_KEY: &str = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
const PUBLIC_KEY: &str = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
const PRESHARED_KEY: &str = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=";
/// QBITTORRENT_PASS as the seed file writes it, and its value.
const QB_PASS_LINE: &str = r#"QBITTORRENT_PASS="s3cr3t \"pass\" #1""#;
const QB_PASS: &str = r#"s3cr3t "pass" #1"#;

/// A `.env` like the seed's: every variable the import reads, comments, a
/// blank line and a variable it does not read.
fn seed_env() -> String {
    format!(
        "# Torrent stack: docker compose reads this file
VPN_SERVICE_PROVIDER=protonvpn
VPN_TYPE=wireguard
WIREGUARD_PRIVATE_KEY={PRIVATE_KEY}
WIREGUARD_ADDRESSES=10.2.0.2/32
SERVER_COUNTRIES=Netherlands,Switzerland
VPN_PORT_FORWARDING=on

LOCAL_SUBNET=192.168.1.0/24   # the home network
DOWNLOADS_PATH=/Users/me/Downloads/Torrents
PUID=501
PGID=20
TZ=Europe/Berlin
QBITTORRENT_USER=admin
export QBITTORRENT_WEBUI_PORT=8081
{QB_PASS_LINE}
COMPOSE_PROJECT_NAME=torrents
"
    )
}

fn no_resolver(host: &str) -> Result<Vec<IpAddr>, String> {
    Err(format!("no resolver in this test (asked for {host})"))
}

fn fixed_resolver(host: &str) -> Result<Vec<IpAddr>, String> {
    let map: HashMap<&str, Vec<IpAddr>> = HashMap::from([
        ("vpn.example.com", vec!["1.2.3.4".parse().unwrap()]),
        (
            "dual.example.com",
            vec![
                "2001:db8::7".parse().unwrap(),
                "198.51.100.7".parse().unwrap(),
            ],
        ),
    ]);
    map.get(host)
        .cloned()
        .ok_or_else(|| "no such host".to_owned())
}

fn ctx(existing: Option<Settings>) -> ImportContext<'static> {
    ImportContext {
        existing,
        base_dir: Some(PathBuf::from("/Users/me/stack")),
        home_dir: Some(PathBuf::from("/Users/me")),
        resolver: &fixed_resolver,
    }
}

fn plan_text(text: &str) -> Result<ImportPlan, ImportError> {
    plan(text.as_bytes(), &ctx(None))
}

fn change(plan: &ImportPlan, field: Field) -> &Change {
    plan.changes
        .iter()
        .find(|c| c.field == field)
        .unwrap_or_else(|| panic!("no change to {field}"))
}

/// Lines with their endings.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// `after` is `before` with exactly the lines in `replaced` (1-based) turned
/// into the scrub comment, each keeping its line ending; every other line
/// is byte-for-byte the same.
fn assert_scrubbed(before: &str, after: &str, replaced: &[(usize, &str)]) {
    let (b, a) = (lines(before), lines(after));
    assert_eq!(b.len(), a.len(), "line count changed:\n{after}");
    for (i, (bl, al)) in b.iter().zip(&a).enumerate() {
        match replaced.iter().find(|(n, _)| *n == i + 1) {
            Some((_, key)) => {
                let ending = if bl.ends_with("\r\n") {
                    "\r\n"
                } else if bl.ends_with('\n') {
                    "\n"
                } else {
                    ""
                };
                assert_eq!(
                    *al,
                    format!("{}{ending}", scrub_comment(key)),
                    "line {}",
                    i + 1
                );
            }
            None => assert_eq!(bl, al, "line {} changed", i + 1),
        }
    }
}

fn secret_values() -> [&'static str; 5] {
    [PRIVATE_KEY, PRESHARED_KEY, QB_PASS, "s3cr3t", "hunter2"]
}

fn assert_no_secret(text: &str) {
    for s in secret_values() {
        assert!(!text.contains(s), "a secret value leaks: {text}");
    }
}

#[test]
fn the_seed_env_becomes_settings_secrets_and_a_scrubbed_file() {
    let text = seed_env();
    let plan = plan_text(&text).unwrap();
    assert_eq!(plan.format, Format::Env);
    let s = &plan.settings;
    assert_eq!(s.profile, "default");
    assert_eq!(s.vpn.provider, "protonvpn");
    assert_eq!(s.vpn.vpn_type, crate::settings::VpnType::Wireguard);
    assert_eq!(s.vpn.wireguard.addresses, ["10.2.0.2/32".parse().unwrap()]);
    assert_eq!(s.vpn.server_countries, ["Netherlands", "Switzerland"]);
    assert!(s.vpn.port_forwarding);
    assert_eq!(s.stack.lan_subnets, ["192.168.1.0/24".parse().unwrap()]);
    assert_eq!(
        s.stack.downloads_dir,
        Path::new("/Users/me/Downloads/Torrents")
    );
    assert_eq!((s.stack.puid, s.stack.pgid), (501, 20));
    assert_eq!(s.stack.timezone, "Europe/Berlin");
    assert_eq!(s.stack.webui_port, 8081);
    assert_eq!(s.qbittorrent.username, "admin");

    let secrets: Vec<_> = plan
        .secrets
        .iter()
        .map(|s| (s.kind, s.origin.line, s.value.expose_secret().to_owned()))
        .collect();
    assert_eq!(
        secrets,
        [
            (SecretKind::WireguardPrivateKey, 4, PRIVATE_KEY.to_owned()),
            (SecretKind::QbittorrentPassword, 16, QB_PASS.to_owned()),
        ]
    );
    assert_eq!(
        plan.ignored,
        [Ignored {
            origin: Origin {
                line: 17,
                var: "COMPOSE_PROJECT_NAME".into()
            },
            reason: None
        }]
    );
    let rewritten = String::from_utf8(plan.rewritten.clone().unwrap()).unwrap();
    assert_scrubbed(
        &text,
        &rewritten,
        &[(4, "WIREGUARD_PRIVATE_KEY"), (16, "QBITTORRENT_PASS")],
    );
    assert_no_secret(&rewritten);
    assert_no_secret(&format!("{plan:?}"));
}

#[test]
fn the_scrub_keeps_crlf_a_missing_final_newline_comments_and_unknown_vars() {
    let crlf = seed_env().replace('\n', "\r\n");
    let crlf = crlf.trim_end();
    let variants = [
        crlf.to_owned(),
        format!("\u{feff}{}", seed_env().trim_end()),
        format!(
            "  # indented comment\n\nexport WIREGUARD_PRIVATE_KEY='{PRIVATE_KEY}' # key\r\nUNKNOWN_TOKEN=x  \n\t\nVPN_SERVICE_PROVIDER=mullvad\nWIREGUARD_ADDRESSES=10.0.0.2/32\nWIREGUARD_PRESHARED_KEY=\"{PRESHARED_KEY}\""
        ),
    ];
    for text in &variants {
        let plan = plan_text(text).unwrap();
        let replaced: Vec<(usize, &str)> = plan
            .scrubbed
            .iter()
            .map(|o| (o.line, o.var.as_str()))
            .collect();
        assert!(!replaced.is_empty());
        let after = String::from_utf8(plan.rewritten.clone().unwrap()).unwrap();
        if text.starts_with('\u{feff}') {
            assert!(after.starts_with('\u{feff}'));
        }
        assert_scrubbed(text, &after, &replaced);
        assert_eq!(after.ends_with('\n'), text.ends_with('\n'));
        assert_no_secret(&after);
        // The result is a valid .env that imports nothing secret any more.
        let again = envfile::parse(&after).unwrap();
        assert!(again
            .assignments()
            .all(|(_, a)| !a.key.starts_with("WIREGUARD_P") && a.key != "QBITTORRENT_PASS"));
    }
    let plan = plan_text(&variants[2]).unwrap();
    assert_eq!(plan.ignored[0].origin.var, "UNKNOWN_TOKEN");
    assert!(plan.ignored[0]
        .reason
        .unwrap()
        .contains("looks like a secret"));
}

/// (what is wrong, line of the seed, replacement, line, variable, message part)
#[rustfmt::skip]
const INVALID: &[(&str, &str, &str, usize, &str, &str)] = &[
    ("short private key", "WIREGUARD_PRIVATE_KEY=", "WIREGUARD_PRIVATE_KEY=c2hvcnRzZWNyZXQ=", 4, "WIREGUARD_PRIVATE_KEY", "44 characters of base64"),
    ("private key not base64", "WIREGUARD_PRIVATE_KEY=", "WIREGUARD_PRIVATE_KEY=hunter2hunter2hunter2hunter2hunter2hunter2!!=", 4, "WIREGUARD_PRIVATE_KEY", "32 bytes"),
    ("malformed secret line", "WIREGUARD_PRIVATE_KEY=", "WIREGUARD_PRIVATE_KEY hunter2", 4, "WIREGUARD_PRIVATE_KEY", "expected NAME=VALUE"),
    ("unterminated quote", QB_PASS_LINE, r#"QBITTORRENT_PASS="hunter2"#, 16, "QBITTORRENT_PASS", "unterminated double quote"),
    ("unsupported escape", QB_PASS_LINE, r#"QBITTORRENT_PASS="hunter2\x""#, 16, "QBITTORRENT_PASS", "unsupported escape"),
    ("two-line secret", QB_PASS_LINE, r#"QBITTORRENT_PASS="hunter2\nhunter2""#, 16, "QBITTORRENT_PASS", "single line"),
    ("bad CIDR", "LOCAL_SUBNET=", "LOCAL_SUBNET=192.168.1.0/33", 9, "LOCAL_SUBNET", "not a subnet"),
    ("CIDR with host bits", "LOCAL_SUBNET=", "LOCAL_SUBNET=192.168.1.7/24", 9, "LOCAL_SUBNET", "host bits"),
    ("CIDR for everything", "LOCAL_SUBNET=", "LOCAL_SUBNET=0.0.0.0/0", 9, "LOCAL_SUBNET", "bypass the tunnel"),
    ("bad address", "WIREGUARD_ADDRESSES=", "WIREGUARD_ADDRESSES=10.2.0.2/40", 5, "WIREGUARD_ADDRESSES", "address with a prefix"),
    ("unknown provider", "VPN_SERVICE_PROVIDER=", "VPN_SERVICE_PROVIDER=acmevpn", 2, "VPN_SERVICE_PROVIDER", "unknown provider \"acmevpn\""),
    ("unknown VPN type", "VPN_TYPE=", "VPN_TYPE=ipsec", 3, "VPN_TYPE", "not wireguard or openvpn"),
    ("port forwarding elsewhere", "VPN_SERVICE_PROVIDER=", "VPN_SERVICE_PROVIDER=mullvad", 7, "VPN_PORT_FORWARDING", "forwards ports only"),
    ("bad boolean", "VPN_PORT_FORWARDING=", "VPN_PORT_FORWARDING=maybe", 7, "VPN_PORT_FORWARDING", "not on, off"),
    ("duplicate key", "TZ=", "TZ=Europe/Berlin\nPUID=502", 14, "PUID", "set again (first on line 11)"),
    ("duplicate secret", "COMPOSE_PROJECT_NAME=", "WIREGUARD_PRIVATE_KEY=hunter2", 17, "WIREGUARD_PRIVATE_KEY", "set again (first on line 4)"),
    ("port out of range", "export QBITTORRENT_WEBUI_PORT=", "QBITTORRENT_WEBUI_PORT=70000", 15, "QBITTORRENT_WEBUI_PORT", "not a port number"),
    ("port as words", "export QBITTORRENT_WEBUI_PORT=", "QBITTORRENT_WEBUI_PORT=eighty", 15, "QBITTORRENT_WEBUI_PORT", "not a port number"),
    ("privileged port", "export QBITTORRENT_WEBUI_PORT=", "QBITTORRENT_WEBUI_PORT=80", 15, "QBITTORRENT_WEBUI_PORT", "1024"),
    ("port of the control server", "export QBITTORRENT_WEBUI_PORT=", "QBITTORRENT_WEBUI_PORT=8000", 15, "QBITTORRENT_WEBUI_PORT", "must differ"),
    ("PUID not a number", "PUID=", "PUID=-1", 11, "PUID", "not a number"),
    ("PUID root", "PUID=", "PUID=0", 11, "PUID", "must not be 0"),
    ("bad timezone", "TZ=", "TZ=Berlin", 13, "TZ", "timezone"),
    ("empty country", "SERVER_COUNTRIES=", "SERVER_COUNTRIES=Netherlands,,Sweden", 6, "SERVER_COUNTRIES", "not a country name"),
    ("downloads path with ':'", "DOWNLOADS_PATH=", "DOWNLOADS_PATH=/data:rw", 10, "DOWNLOADS_PATH", "contains ':'"),
    ("bad user name", "QBITTORRENT_USER=", "QBITTORRENT_USER=the admin", 14, "QBITTORRENT_USER", "letters, digits"),
    ("endpoint host name", "COMPOSE_PROJECT_NAME=", "WIREGUARD_ENDPOINT_IP=vpn.example.com", 17, "WIREGUARD_ENDPOINT_IP", "not an IP address"),
    ("endpoint without port", "COMPOSE_PROJECT_NAME=", "WIREGUARD_ENDPOINT_IP=1.2.3.4", 17, "WIREGUARD_ENDPOINT_IP", "needs WIREGUARD_ENDPOINT_PORT"),
    ("endpoint port zero", "COMPOSE_PROJECT_NAME=", "WIREGUARD_ENDPOINT_PORT=0", 17, "WIREGUARD_ENDPOINT_PORT", "not a port number"),
    ("bad public key", "COMPOSE_PROJECT_NAME=", "WIREGUARD_PUBLIC_KEY=abc", 17, "WIREGUARD_PUBLIC_KEY", "WireGuard key"),
    ("control character", "COMPOSE_PROJECT_NAME=", "COMPOSE_PROJECT_NAME=a\u{7}b", 17, "COMPOSE_PROJECT_NAME", "control character"),
    ("a wg-quick header", "COMPOSE_PROJECT_NAME=", "[Peer]", 17, "", "expected NAME=VALUE"),
];

/// Replaces the seed line that starts with `prefix`.
fn seed_with(prefix: &str, replacement: &str) -> String {
    let seed = seed_env();
    let mut found = false;
    let out: Vec<String> = seed
        .lines()
        .map(|l| {
            if l.starts_with(prefix) && !found {
                found = true;
                replacement.to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect();
    assert!(found, "the seed has no line starting with {prefix}");
    out.join("\n") + "\n"
}

#[test]
fn each_invalid_value_names_its_line_and_variable_and_no_secret() {
    for (what, prefix, replacement, line, var, message) in INVALID {
        let text = seed_with(prefix, replacement);
        let err = plan_text(&text).expect_err(what);
        let problems = err.problems();
        assert_eq!(problems.len(), 1, "{what}: {err}");
        let p = &problems[0];
        assert_eq!(p.line, Some(*line), "{what}: {err}");
        assert_eq!(p.var.as_deref().unwrap_or(""), *var, "{what}: {err}");
        let shown = err.to_string();
        assert!(shown.contains(message), "{what}: {shown}");
        assert!(
            shown.starts_with(&format!("line {line}: ")),
            "{what}: {shown}"
        );
        assert_no_secret(&format!("{shown} {err:?}"));
    }
}

#[test]
fn every_problem_is_reported_at_once_in_line_order() {
    let text = seed_with("TZ=", "TZ=Berlin");
    let text = text
        .replace("PUID=501", "PUID=x")
        .replace("VPN_TYPE=wireguard", "VPN_TYPE=x");
    let err = plan_text(&text).unwrap_err();
    let lines: Vec<_> = err.problems().iter().map(|p| p.line).collect();
    assert_eq!(lines, [Some(3), Some(11), Some(13)], "{err}");
}

#[test]
fn a_file_that_is_not_utf8_names_the_line() {
    let mut bytes = b"# ok\nVPN_TYPE=wireguard\nQBITTORRENT_PASS=caf".to_vec();
    bytes.extend([0xe9, b'\n']);
    let err = plan(&bytes, &ctx(None)).unwrap_err();
    assert_eq!(err.problems()[0].line, Some(3));
    assert_eq!(err.problems()[0].var.as_deref(), Some("QBITTORRENT_PASS"));
    assert!(err.to_string().contains("not UTF-8"), "{err}");
    let err = plan(b"TZ=UTC\n\xff\n", &ctx(None)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 2: not UTF-8 text; save the file as UTF-8"
    );
    assert!(!err.to_string().contains("caf"), "{err}");
}

#[test]
fn settings_left_incomplete_say_which_variable_is_missing() {
    let err = plan_text("TZ=Europe/Berlin\n").unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains("vpn.wireguard.addresses") && shown.contains("set WIREGUARD_ADDRESSES"),
        "{shown}"
    );
    assert!(err.problems().iter().all(|p| p.line.is_none()));
    let err = plan_text("# nothing here\nOTHER=1\nTZ=\n").unwrap_err();
    assert_eq!(err, ImportError::NothingToImport);
}

fn existing() -> Settings {
    let mut s = Settings::new_custom_wireguard();
    s.profile = "home".into();
    s.vpn.wireguard.endpoint = Some("185.65.134.1:51820".parse().unwrap());
    s.vpn.wireguard.public_key = Some(PUBLIC_KEY.into());
    s.vpn.wireguard.addresses = vec!["10.64.0.2/32".parse().unwrap()];
    s.stack.timezone = "Europe/Berlin".into();
    s
}

#[test]
fn existing_settings_are_updated_and_keep_their_profile() {
    let text = "TZ=Europe/Berlin\nWIREGUARD_ENDPOINT_PORT=443\nQBITTORRENT_PASS=hunter2\nPUID=\n";
    let plan = plan(text.as_bytes(), &ctx(Some(existing()))).unwrap();
    assert_eq!(plan.profile(), "home");
    assert!(change(&plan, Field::StackTimezone).unchanged());
    let ep = change(&plan, Field::WireguardEndpoint);
    assert_eq!(
        (ep.from.as_str(), ep.to.as_str()),
        ("\"185.65.134.1:51820\"", "\"185.65.134.1:443\"")
    );
    assert!(plan.settings_change());
    assert_eq!(plan.settings.stack.puid, existing().stack.puid);
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("line 4 PUID is empty")),
        "{:?}",
        plan.notes
    );
    let mut unchanged = existing();
    unchanged.stack.timezone = "Europe/Berlin".into();
    let plan = super::plan(b"TZ=Europe/Berlin\n", &ctx(Some(unchanged))).unwrap();
    assert!(!plan.settings_change());
}

#[test]
fn the_custom_provider_variables_set_the_endpoint_and_public_key() {
    let text = format!(
        "VPN_SERVICE_PROVIDER=custom\nWIREGUARD_PRIVATE_KEY={PRIVATE_KEY}\nWIREGUARD_PRESHARED_KEY={PRESHARED_KEY}\nWIREGUARD_PUBLIC_KEY={PUBLIC_KEY}\nWIREGUARD_ENDPOINT_IP=203.0.113.5\nWIREGUARD_ENDPOINT_PORT=51820\nWIREGUARD_ADDRESSES=10.0.0.2/32,fd00::2/128\n"
    );
    let plan = plan_text(&text).unwrap();
    let wg = &plan.settings.vpn.wireguard;
    assert_eq!(wg.endpoint, Some("203.0.113.5:51820".parse().unwrap()));
    assert_eq!(wg.public_key.as_deref(), Some(PUBLIC_KEY));
    assert_eq!(
        wg.addresses,
        ["10.0.0.2/32".parse::<ipnet::IpNet>().unwrap()]
    );
    assert!(plan
        .notes
        .iter()
        .any(|n| n.contains("fd00::2/128 left out")));
    let kinds: Vec<_> = plan.secrets.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            SecretKind::WireguardPrivateKey,
            SecretKind::WireguardPresharedKey
        ]
    );
    assert_eq!(change(&plan, Field::WireguardEndpoint).origin.line, 5);
}

#[test]
fn openvpn_credentials_are_secrets() {
    let text = "VPN_SERVICE_PROVIDER=private internet access\nVPN_TYPE=openvpn\nOPENVPN_USER=p1234567\nOPENVPN_PASSWORD='hunter2'\n";
    let plan = plan_text(text).unwrap();
    let kinds: Vec<_> = plan.secrets.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [SecretKind::OpenvpnUser, SecretKind::OpenvpnPassword]
    );
    let after = String::from_utf8(plan.rewritten.unwrap()).unwrap();
    assert!(
        !after.contains("p1234567") && !after.contains("hunter2"),
        "{after}"
    );
}

#[test]
fn relative_and_home_download_paths_are_made_absolute() {
    let base = "VPN_SERVICE_PROVIDER=mullvad\nWIREGUARD_ADDRESSES=10.0.0.2/32\n";
    for (value, expected) in [
        ("./downloads", "/Users/me/stack/downloads"),
        ("../media/torrents", "/Users/me/media/torrents"),
        ("~/Downloads", "/Users/me/Downloads"),
    ] {
        let plan = plan_text(&format!("{base}DOWNLOADS_PATH={value}\n")).unwrap();
        assert_eq!(plan.settings.stack.downloads_dir, Path::new(expected));
        assert!(
            plan.notes.iter().any(|n| n.contains(expected)),
            "{:?}",
            plan.notes
        );
    }
}

#[test]
fn the_dry_run_plan_names_changes_secrets_and_lines_but_no_value() {
    let text = seed_env();
    let plan = plan(text.as_bytes(), &ctx(Some(existing()))).unwrap();
    let shown = plan.render(
        Path::new("/Users/me/stack/.env"),
        Path::new("/cfg/settings.toml"),
    );
    for expected in [
        "Import from /Users/me/stack/.env (a .env file)",
        "Settings in /cfg/settings.toml:",
        "vpn.provider",
        "\"custom\" -> \"protonvpn\"",
        "\"Europe/Berlin\" (unchanged)    [line 13 TZ]",
        "stack.webui_port",
        "8080 -> 8081",
        "[\"192.168.1.0/24\"]",
        "Keychain, profile \"home\"",
        "wireguard-private-key",
        "WireGuard private key    [line 4 WIREGUARD_PRIVATE_KEY]",
        "qbittorrent-password",
        "line 4: replaced by \"# WIREGUARD_PRIVATE_KEY: moved to",
        "line 16: replaced by \"# QBITTORRENT_PASS: moved to",
        "every other line stays byte for byte",
        "Not imported (left in the file):\n  line 17 COMPOSE_PROJECT_NAME\n",
    ] {
        assert!(
            shown.contains(expected),
            "missing {expected:?} in:\n{shown}"
        );
    }
    assert_no_secret(&shown);
    let fresh = plan_text(&text).unwrap();
    let shown = fresh.render(Path::new(".env"), Path::new("/cfg/settings.toml"));
    assert!(
        shown.contains("(a new file; everything not listed keeps its default)"),
        "{shown}"
    );
}

const WG_CONF: &str = "[Interface]
# provider config
PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=
Address = 10.64.0.2/32,fc00:bbbb::2/128
DNS = 10.64.0.1

[Peer]
PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
PresharedKey = FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = vpn.example.com:51820
";

#[test]
fn a_wg_quick_file_with_a_host_name_endpoint() {
    let plan = plan(WG_CONF.as_bytes(), &ctx(Some(existing()))).unwrap();
    assert_eq!(plan.format, Format::WgQuick);
    let wg = &plan.settings.vpn.wireguard;
    assert_eq!(plan.settings.vpn.provider, "custom");
    assert_eq!(wg.endpoint, Some("1.2.3.4:51820".parse().unwrap()));
    assert_eq!(wg.public_key.as_deref(), Some(PUBLIC_KEY));
    // The IPv6 address is left out, with a note: IPv6 is off in the stack
    // and gluetun refuses IPv6 interface addresses then (wireguard.go).
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("fc00:bbbb::2/128 left out")),
        "{:?}",
        plan.notes
    );
    assert_eq!(
        wg.addresses,
        ["10.64.0.2/32".parse::<ipnet::IpNet>().unwrap()]
    );
    let secrets: Vec<_> = plan
        .secrets
        .iter()
        .map(|s| (s.kind, s.origin.line, s.value.expose_secret().to_owned()))
        .collect();
    assert_eq!(
        secrets,
        [
            (SecretKind::WireguardPrivateKey, 3, PRIVATE_KEY.to_owned()),
            (
                SecretKind::WireguardPresharedKey,
                9,
                PRESHARED_KEY.to_owned()
            ),
        ]
    );
    assert!(plan.rewritten.is_none() && plan.scrubbed.is_empty());
    assert!(
        plan.notes
            .iter()
            .any(|n| n.starts_with("endpoint vpn.example.com resolved to 1.2.3.4")),
        "{:?}",
        plan.notes
    );
    let ignored: Vec<_> = plan.ignored.iter().map(|i| i.origin.var.as_str()).collect();
    assert_eq!(ignored, ["DNS", "AllowedIPs"]);
    let shown = plan.render(Path::new("wg0.conf"), Path::new("/cfg/settings.toml"));
    assert!(
        shown.contains("(a wg-quick file)")
            && shown.contains("stays as it is: it still holds the private key"),
        "{shown}"
    );
    assert!(
        shown.contains("endpoint vpn.example.com resolved to 1.2.3.4"),
        "{shown}"
    );
    assert_no_secret(&shown);
}

#[test]
fn wg_quick_endpoints_prefer_ipv4_and_say_when_a_host_has_several() {
    let text = WG_CONF.replace("vpn.example.com", "dual.example.com");
    let plan = plan_text(&text).unwrap();
    assert_eq!(
        plan.settings.vpn.wireguard.endpoint,
        Some("198.51.100.7:51820".parse().unwrap())
    );
    assert!(
        plan.notes.iter().any(|n| n.contains("has 2 addresses")),
        "{:?}",
        plan.notes
    );
    let text = WG_CONF.replace("vpn.example.com:51820", "203.0.113.9:51820");
    let plan = super::plan(
        text.as_bytes(),
        &ImportContext {
            resolver: &no_resolver,
            ..ctx(None)
        },
    )
    .unwrap();
    assert_eq!(
        plan.settings.vpn.wireguard.endpoint,
        Some("203.0.113.9:51820".parse().unwrap())
    );
    // Only the IPv6 address's note: an IP endpoint needs none.
    assert!(
        plan.notes.iter().all(|n| n.contains("left out")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn invalid_wg_quick_values_name_the_line_and_key() {
    #[rustfmt::skip]
    let cases: &[(&str, &str, usize, &str, &str)] = &[
        ("Endpoint = vpn.example.com:51820", "Endpoint = unknown.example.com:51820", 11, "Endpoint", "could not be resolved"),
        ("Endpoint = vpn.example.com:51820", "Endpoint = vpn.example.com", 11, "Endpoint", "host:port"),
        ("Endpoint = vpn.example.com:51820", "Endpoint = 127.0.0.1:51820", 11, "Endpoint", "not a VPN server address"),
        ("PrivateKey = yAnz", "PrivateKey = hunter2", 3, "PrivateKey", "WireGuard key"),
        ("PresharedKey = Fp", "PresharedKey = hunter2", 9, "PresharedKey", "WireGuard key"),
        ("PublicKey = xT", "PublicKey = nope", 8, "PublicKey", "WireGuard key"),
        ("Address = 10.64.0.2/32", "Address = 10.64.0.2/33", 4, "Address", "address with a prefix"),
        ("DNS = 10.64.0.1", "PrivateKey = hunter2", 5, "PrivateKey", "first on line 3"),
        ("AllowedIPs", "[Peer]\nAllowedIPs", 10, "", "second [Peer]"),
    ];
    for (prefix, replacement, line, var, message) in cases {
        let text: String = WG_CONF
            .lines()
            .map(|l| {
                if l.starts_with(prefix) {
                    replacement.to_string()
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let err = plan_text(&text).expect_err(replacement);
        let p = &err.problems()[0];
        assert_eq!(p.line, Some(*line), "{replacement}: {err}");
        assert_eq!(p.var.as_deref().unwrap_or(""), *var, "{replacement}: {err}");
        assert!(err.to_string().contains(message), "{replacement}: {err}");
        assert_no_secret(&format!("{err} {err:?}"));
    }
    let err = plan_text("[Interface]\nAddress = 10.0.0.2/32\n").unwrap_err();
    assert!(err.to_string().contains("set Endpoint in [Peer]"), "{err}");
}

// ---- applying ----

struct Dir {
    _tmp: tempfile::TempDir,
    source: PathBuf,
    settings: PathBuf,
}

fn dir_with(content: &[u8]) -> Dir {
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join(".env");
    std::fs::write(&source, content).unwrap();
    let settings = tmp.path().join("config/settings.toml");
    Dir {
        source,
        settings,
        _tmp: tmp,
    }
}

fn plan_file(d: &Dir) -> ImportPlan {
    let existing = Settings::load(&d.settings).unwrap();
    plan(&std::fs::read(&d.source).unwrap(), &ctx(existing)).unwrap()
}

#[tokio::test]
async fn applying_stores_secrets_saves_settings_and_scrubs_the_file() {
    let text = seed_env().replace('\n', "\r\n");
    let d = dir_with(text.as_bytes());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&d.source, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let plan = plan_file(&d);
    let store = Arc::new(MemoryStore::default());
    let secrets = Secrets::new(store.clone(), plan.profile());
    let done = apply(&plan, &d.source, &d.settings, Some(&secrets))
        .await
        .unwrap();
    assert_eq!(
        done,
        Applied {
            secrets_stored: 2,
            settings_saved: true,
            file_rewritten: true
        }
    );
    let got = store
        .get("default", SecretKind::WireguardPrivateKey)
        .unwrap()
        .unwrap();
    assert_eq!(got.expose_secret(), PRIVATE_KEY);
    let got = store
        .get("default", SecretKind::QbittorrentPassword)
        .unwrap()
        .unwrap();
    assert_eq!(got.expose_secret(), QB_PASS);
    assert_eq!(Settings::load(&d.settings).unwrap().unwrap(), plan.settings);
    let after = std::fs::read_to_string(&d.source).unwrap();
    assert_scrubbed(
        &text,
        &after,
        &[(4, "WIREGUARD_PRIVATE_KEY"), (16, "QBITTORRENT_PASS")],
    );
    assert_no_secret(&after);
    assert_no_secret(&std::fs::read_to_string(&d.settings).unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&d.source).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }
    let leftovers = std::fs::read_dir(d.source.parent().unwrap())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".tvpn-import")
        })
        .count();
    assert_eq!(leftovers, 0);

    // Importing the scrubbed file again changes nothing and stores nothing.
    let again = plan_file(&d);
    assert!(again.secrets.is_empty() && again.rewritten.is_none() && !again.settings_change());
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlinked_env_file_is_rewritten_where_it_lives() {
    let d = dir_with(seed_env().as_bytes());
    let link = d.source.with_file_name("link.env");
    std::os::unix::fs::symlink(&d.source, &link).unwrap();
    let plan = plan_file(&d);
    let secrets = Secrets::new(Arc::new(MemoryStore::default()), plan.profile());
    apply(&plan, &link, &d.settings, Some(&secrets))
        .await
        .unwrap();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_no_secret(&std::fs::read_to_string(&d.source).unwrap());
}

/// A store that fails to store one kind (and counts what it holds).
struct FailOn(MemoryStore, SecretKind);

impl SecretStore for FailOn {
    fn get(&self, p: &str, k: SecretKind) -> Result<Option<SecretString>, SecretError> {
        self.0.get(p, k)
    }
    fn set(&self, p: &str, k: SecretKind, v: &SecretString) -> Result<(), SecretError> {
        if k == self.1 {
            return Err(SecretError::Locked("test".into()));
        }
        self.0.set(p, k, v)
    }
    fn delete(&self, p: &str, k: SecretKind) -> Result<(), SecretError> {
        self.0.delete(p, k)
    }
    fn backend(&self) -> String {
        "test".into()
    }
}

#[tokio::test]
async fn a_keychain_failure_changes_nothing_and_puts_earlier_items_back() {
    let text = seed_env();
    let d = dir_with(text.as_bytes());
    let plan = plan_file(&d);
    let store = Arc::new(FailOn(
        MemoryStore::default(),
        SecretKind::QbittorrentPassword,
    ));
    let old = SecretString::from("old-key".to_owned());
    store
        .set("default", SecretKind::WireguardPrivateKey, &old)
        .unwrap();
    let secrets = Secrets::new(store.clone(), plan.profile());
    let err = apply(&plan, &d.source, &d.settings, Some(&secrets))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApplyError::Commit(CommitError::Secret { rollback: None, .. })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("nothing was changed"), "{err}");
    assert_no_secret(&format!("{err} {err:?}"));
    let kept = store
        .get("default", SecretKind::WireguardPrivateKey)
        .unwrap()
        .unwrap();
    assert_eq!(kept.expose_secret(), "old-key");
    assert!(!d.settings.exists());
    assert_eq!(std::fs::read_to_string(&d.source).unwrap(), text);
    let leftovers = std::fs::read_dir(d.source.parent().unwrap())
        .unwrap()
        .count();
    assert_eq!(leftovers, 1, "only the .env itself");

    // A store that cannot be reached at all.
    let secrets = Secrets::new(
        Arc::new(MemoryStore::failing(SecretError::Unavailable(
            "no bus".into(),
        ))),
        plan.profile(),
    );
    let err = apply(&plan, &d.source, &d.settings, Some(&secrets))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApplyError::Commit(CommitError::Secret { .. })),
        "{err:?}"
    );
    assert!(!d.settings.exists());
    assert_eq!(std::fs::read_to_string(&d.source).unwrap(), text);
}

#[tokio::test]
async fn a_file_changed_after_planning_is_not_touched() {
    let d = dir_with(seed_env().as_bytes());
    let plan = plan_file(&d);
    std::fs::write(&d.source, seed_env() + "EXTRA=1\n").unwrap();
    let store = Arc::new(MemoryStore::default());
    let secrets = Secrets::new(store.clone(), plan.profile());
    let err = apply(&plan, &d.source, &d.settings, Some(&secrets))
        .await
        .unwrap_err();
    assert!(matches!(err, ApplyError::SourceChanged(_)), "{err:?}");
    assert!(store
        .get("default", SecretKind::WireguardPrivateKey)
        .unwrap()
        .is_none());
    assert!(!d.settings.exists());

    let d = dir_with(seed_env().as_bytes());
    let plan = plan_file(&d);
    existing().save(&d.settings).unwrap();
    let err = apply(&plan, &d.source, &d.settings, Some(&secrets))
        .await
        .unwrap_err();
    assert!(matches!(err, ApplyError::SettingsChanged(_)), "{err:?}");

    let wrong = Secrets::new(store, "other");
    let err = apply(&plan, &d.source, &d.settings, Some(&wrong))
        .await
        .unwrap_err();
    assert!(matches!(err, ApplyError::WrongProfile { .. }), "{err:?}");
    let err = apply(&plan, &d.source, &d.settings, None)
        .await
        .unwrap_err();
    assert!(matches!(err, ApplyError::NoKeychain), "{err:?}");
}

#[tokio::test]
async fn a_wg_quick_file_is_imported_but_left_as_it_is() {
    let d = dir_with(WG_CONF.as_bytes());
    existing().save(&d.settings).unwrap();
    let plan = plan_file(&d);
    let store = Arc::new(MemoryStore::default());
    let secrets = Secrets::new(store.clone(), "home");
    let done = apply(&plan, &d.source, &d.settings, Some(&secrets))
        .await
        .unwrap();
    assert!(!done.file_rewritten && done.settings_saved && done.secrets_stored == 2);
    assert_eq!(std::fs::read_to_string(&d.source).unwrap(), WG_CONF);
    let psk = store
        .get("home", SecretKind::WireguardPresharedKey)
        .unwrap()
        .unwrap();
    assert_eq!(psk.expose_secret(), PRESHARED_KEY);
    let saved = Settings::load(&d.settings).unwrap().unwrap();
    assert_eq!(
        saved.vpn.wireguard.endpoint,
        Some("1.2.3.4:51820".parse().unwrap())
    );
}

#[test]
fn gluetun_old_names_and_outbound_subnets_are_read_as_gluetun_reads_them() {
    // gluetun's reader.RetroKeys: VPNSP, WIREGUARD_ADDRESS, EXTRA_SUBNETS
    // (firewall.go); gosettings reads a deprecated name first, so it wins
    // when both are set.
    let text = format!(
        "VPNSP=custom\nWIREGUARD_PRIVATE_KEY={PRIVATE_KEY}\nWIREGUARD_PUBLIC_KEY={PUBLIC_KEY}\nWIREGUARD_ENDPOINT_IP=203.0.113.5\nWIREGUARD_ENDPOINT_PORT=51820\nWIREGUARD_ADDRESS=10.0.0.2/32\nEXTRA_SUBNETS=10.10.0.0/16\nFIREWALL_OUTBOUND_SUBNETS=192.168.7.0/24\nVPN_PORT_FORWARDING=on\nVPN_PORT_FORWARDING_PROVIDER=ProtonVPN\n"
    );
    let plan = plan_text(&text).unwrap();
    let s = &plan.settings;
    assert_eq!(s.vpn.provider, "custom");
    assert_eq!(
        s.vpn.wireguard.addresses,
        ["10.0.0.2/32".parse::<ipnet::IpNet>().unwrap()]
    );
    assert_eq!(
        s.stack.lan_subnets,
        ["192.168.7.0/24".parse::<ipnet::IpNet>().unwrap()]
    );
    assert_eq!(
        s.vpn.port_forwarding_provider,
        Some(crate::settings::PortForwardProvider::Protonvpn)
    );
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("EXTRA_SUBNETS") && n.contains("left out")),
        "{:?}",
        plan.notes
    );
}

#[test]
fn a_new_provider_drops_the_old_custom_server() {
    // protonvpn refuses an endpoint port (wireguardselection.go): the old
    // custom endpoint and key do not carry over to it.
    let plan = plan(seed_env().as_bytes(), &ctx(Some(existing()))).unwrap();
    assert_eq!(plan.settings.vpn.provider, "protonvpn");
    assert_eq!(plan.settings.vpn.wireguard.endpoint, None);
    assert_eq!(plan.settings.vpn.wireguard.public_key, None);
}

#[test]
fn custom_port_forwarding_without_a_forwarding_provider_is_refused() {
    let text = format!(
        "VPN_SERVICE_PROVIDER=custom\nWIREGUARD_PRIVATE_KEY={PRIVATE_KEY}\nWIREGUARD_PUBLIC_KEY={PUBLIC_KEY}\nWIREGUARD_ENDPOINT_IP=203.0.113.5\nWIREGUARD_ENDPOINT_PORT=51820\nWIREGUARD_ADDRESSES=10.0.0.2/32\nVPN_PORT_FORWARDING=on\n"
    );
    let err = plan_text(&text).unwrap_err().to_string();
    assert!(err.contains("line 7"), "{err}");
    assert!(err.contains("port_forwarding_provider"), "{err}");
}

#[test]
fn debug_output_of_a_parsed_env_file_holds_no_value() {
    let text = seed_env();
    let file = super::envfile::parse(&text).unwrap();
    let plan = plan_text(&text).unwrap();
    for shown in [format!("{file:?}"), format!("{plan:?}")] {
        assert!(!shown.contains(PRIVATE_KEY), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }
}

// ---- the `.env` table, entry by entry ----

/// A case for one variable of the `.env` table: lines set before it, a
/// value it imports and, unless it is a secret (never refused for its
/// content), a value it refuses with words of the message.
struct EnvCase {
    var: &'static str,
    before: &'static str,
    good: &'static str,
    bad: Option<(&'static str, &'static str)>,
}

const fn case(var: &'static str, good: &'static str, bad: (&'static str, &'static str)) -> EnvCase {
    EnvCase {
        var,
        before: "",
        good,
        bad: Some(bad),
    }
}

#[rustfmt::skip]
const ENV_CASES: &[EnvCase] = &[
    case("VPN_SERVICE_PROVIDER", "mullvad", ("nope", "unknown provider \"nope\"")),
    case("VPNSP", "mullvad", ("nope", "unknown provider \"nope\"")),
    case("VPN_TYPE", "wireguard", ("ipsec", "\"ipsec\" is not wireguard or openvpn")),
    case("WIREGUARD_PRIVATE_KEY", PRIVATE_KEY, ("short", "not a WireGuard key")),
    case("WIREGUARD_ADDRESSES", "10.0.0.2/32", ("10.0.0.2/99", "is not an address with a prefix")),
    case("WIREGUARD_ADDRESS", "10.0.0.2", ("ten", "is not an address with a prefix")),
    case("WIREGUARD_PRESHARED_KEY", PRESHARED_KEY, ("short", "not a WireGuard key")),
    case("WIREGUARD_PUBLIC_KEY", PUBLIC_KEY, ("short", "not a WireGuard key")),
    case("WIREGUARD_ENDPOINT_IP", "203.0.113.5", ("vpn.example.com", "is not an IP address")),
    case("WIREGUARD_ENDPOINT_PORT", "51821", ("0", "is not a port number")),
    EnvCase { var: "OPENVPN_USER", before: "", good: "p1234567", bad: None },
    EnvCase { var: "OPENVPN_PASSWORD", before: "", good: "hunter2", bad: None },
    EnvCase {
        var: "COUNTRY",
        before: "VPN_SERVICE_PROVIDER=mullvad\n",
        good: "Sweden, Norway",
        bad: Some(("Nether1ands", "is not a country name")),
    },
    EnvCase {
        var: "SERVER_COUNTRIES",
        before: "VPN_SERVICE_PROVIDER=mullvad\n",
        good: "Sweden",
        bad: Some(("Sweden,", "is not a country name")),
    },
    case("PRIVATE_INTERNET_ACCESS_VPN_PORT_FORWARDING", "off", ("maybe", "is not on, off")),
    case("PORT_FORWARDING", "no", ("maybe", "is not on, off")),
    case("VPN_PORT_FORWARDING", "false", ("maybe", "is not on, off")),
    case("VPN_PORT_FORWARDING_PROVIDER", "ProtonVPN", ("mullvad", "is not a provider gluetun forwards ports for")),
    case("LOCAL_SUBNET", "192.168.1.0/24", ("lan", "is not a subnet")),
    case("EXTRA_SUBNETS", "192.168.1.0/24,10.9.0.0/16", ("8.8.8.0/24", "is not a private range")),
    case("FIREWALL_OUTBOUND_SUBNETS", "192.168.1.0/24", ("192.168.1.1/24", "has host bits set")),
    case("DOWNLOADS_PATH", "/srv/torrents", ("/", "must not be the root directory")),
    case("PUID", "501", ("me", "is not a number")),
    case("UID", "501", ("0", "must not be 0")),
    case("PGID", "20", ("staff", "is not a number")),
    case("TZ", "Europe/Paris", ("Berlin", "is not a timezone name")),
    case("QBITTORRENT_USER", "me", ("ad min", "letters")),
    EnvCase { var: "QBITTORRENT_PASS", before: "", good: "s3cr3t", bad: None },
    case("QBITTORRENT_WEBUI_PORT", "8081", ("8000", "must differ from stack.webui_port")),
];

#[test]
fn every_env_variable_imports_its_field_and_refuses_a_bad_value_naming_its_line() {
    let names: Vec<&str> = super::env::VARS.iter().map(|v| v.name).collect();
    for c in ENV_CASES {
        assert!(names.contains(&c.var), "{} is not in the table", c.var);
    }
    for var in &super::env::VARS {
        let c = ENV_CASES
            .iter()
            .find(|c| c.var == var.name)
            .unwrap_or_else(|| panic!("no case for {}", var.name));
        let line = c.before.lines().count() + 1;

        let text = format!("{}{}={}\n", c.before, var.name, c.good);
        let plan = plan(text.as_bytes(), &ctx(Some(existing())))
            .unwrap_or_else(|e| panic!("{}={}: {e}", var.name, c.good));
        let from_var = |o: &Origin| o.var == var.name && o.line == line;
        match var.secret_kind() {
            Some(kind) => {
                assert_eq!(var.field, Field::Secret(kind));
                let s = plan
                    .secrets
                    .iter()
                    .find(|s| from_var(&s.origin))
                    .unwrap_or_else(|| panic!("{}: no secret", var.name));
                assert_eq!(s.kind, kind, "{}", var.name);
                assert_eq!(s.value.expose_secret(), c.good, "{}", var.name);
                assert!(!plan.changes.iter().any(|ch| from_var(&ch.origin)));
                assert_eq!(plan.scrubbed.len(), 1, "{}", var.name);
            }
            None => {
                let ch = plan
                    .changes
                    .iter()
                    .find(|ch| from_var(&ch.origin))
                    .unwrap_or_else(|| panic!("{}: no change", var.name));
                assert_eq!(ch.field, var.field, "{}", var.name);
                assert!(plan.secrets.is_empty(), "{}", var.name);
            }
        }

        let Some((bad, message)) = c.bad else {
            assert!(
                var.secret_kind().is_some(),
                "{} needs a bad value",
                var.name
            );
            continue;
        };
        let text = format!("{}{}={bad}\n", c.before, var.name);
        let err = plan_text_with(&text, existing()).expect_err(var.name);
        let p = err
            .problems()
            .iter()
            .find(|p| p.var.as_deref() == Some(var.name))
            .unwrap_or_else(|| panic!("{}={bad}: {err}", var.name));
        assert_eq!(p.line, Some(line), "{}={bad}: {err}", var.name);
        assert!(p.message.contains(message), "{}={bad}: {err}", var.name);
    }
}

fn plan_text_with(text: &str, existing: Settings) -> Result<ImportPlan, ImportError> {
    plan(text.as_bytes(), &ctx(Some(existing)))
}

#[test]
fn the_env_table_names_each_variable_once_and_its_other_names_share_a_setting() {
    let vars = &super::env::VARS;
    for (i, var) in vars.iter().enumerate() {
        assert!(
            vars[..i].iter().all(|v| v.name != var.name),
            "{} twice",
            var.name
        );
        if let Some(kind) = var.secret_kind() {
            assert_eq!(var.field, Field::Secret(kind));
        }
    }
    // Another name of a setting: the same field, never a secret, and the
    // name it shares is the setting's own.
    let mut others = 0;
    for var in vars.iter() {
        let Some(name) = var.same_as else { continue };
        others += 1;
        let main = vars
            .iter()
            .find(|v| v.name == name)
            .unwrap_or_else(|| panic!("{}: {name} is not in the table", var.name));
        assert_eq!(main.same_as, None, "{name}");
        assert_eq!(var.field, main.field, "{} and {name}", var.name);
        assert!(var.secret_kind().is_none(), "{}", var.name);
    }
    assert_eq!(others, 8);
    assert_eq!(
        super::env_variables().count(),
        vars.len(),
        "env_variables lists the table"
    );
}
