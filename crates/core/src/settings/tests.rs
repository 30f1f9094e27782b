use super::*;
use crate::secrets::{
    ExposeSecret, MemoryStore, SecretError, SecretKind, SecretStore, SecretString,
};

const PUBKEY: &str = "rBvyUqvwcMNCeRlQb4Kb8Y0VUbrXd6xH0gC0Bo2r5nM=";

/// A complete, valid settings file; each invalid case edits one line of it.
fn valid_toml() -> String {
    format!(
        r#"profile = "home"

[vpn]
provider = "custom"
type = "wireguard"
server_countries = []
port_forwarding = false

[vpn.wireguard]
endpoint = "185.65.134.1:51820"
public_key = "{PUBKEY}"
addresses = ["10.64.0.2/32"]

[stack]
project = "torrent-vpn"
gateway_image = "qmcgaw/gluetun:v3.41.1"
qbittorrent_image = "lscr.io/linuxserver/qbittorrent:5.1.4"
downloads_dir = "/Users/me/Downloads/Torrents"
lan_subnets = ["192.168.1.0/24"]
bind_address = "127.0.0.1"
webui_port = 8080
control_port = 8000
puid = 501
pgid = 20
timezone = "Europe/Stockholm"

[stack.gateway_env]
DNS_UPSTREAM_RESOLVERS = "quad9"

[qbittorrent]
username = "admin"

[docker]
host = "unix:///var/run/docker.sock"
"#
    )
}

fn with(from: &str, to: &str) -> String {
    let base = valid_toml();
    assert!(base.contains(from), "fixture has no {from:?}");
    base.replacen(from, to, 1)
}

#[test]
fn the_valid_fixture_parses_and_round_trips() {
    let s = Settings::from_toml_str(&valid_toml()).unwrap();
    assert_eq!(s.stack.webui_port, 8080);
    assert_eq!(s.vpn.wireguard.public_key.as_deref(), Some(PUBKEY));
    let again = Settings::from_toml_str(&s.to_toml_string().unwrap()).unwrap();
    assert_eq!(s, again);
}

/// (what is wrong, edit from, edit to, field the error must name, text it must contain)
const INVALID: &[(&str, &str, &str, &str, &str)] = &[
    ("bad CIDR", r#"lan_subnets = ["192.168.1.0/24"]"#, r#"lan_subnets = ["192.168.1.0/33"]"#, "stack.lan_subnets[0]", "invalid"),
    ("CIDR with host bits", r#"lan_subnets = ["192.168.1.0/24"]"#, r#"lan_subnets = ["192.168.1.7/24"]"#, "stack.lan_subnets[0]", "host bits"),
    ("CIDR that covers everything", r#"lan_subnets = ["192.168.1.0/24"]"#, r#"lan_subnets = ["0.0.0.0/0"]"#, "stack.lan_subnets[0]", "bypass the tunnel"),
    ("port out of range", "webui_port = 8080", "webui_port = 70000", "stack.webui_port", "u16"),
    ("privileged port", "webui_port = 8080", "webui_port = 80", "stack.webui_port", "1024"),
    ("port zero", "control_port = 8000", "control_port = 0", "stack.control_port", "1024"),
    ("same port twice", "control_port = 8000", "control_port = 8080", "stack.control_port", "must differ"),
    ("port as text", "webui_port = 8080", r#"webui_port = "8080""#, "stack.webui_port", "u16"),
    ("short public key", PUBKEY, "c2hvcnQ=", "vpn.wireguard.public_key", "32 bytes"),
    ("public key not base64", PUBKEY, "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!=", "vpn.wireguard.public_key", "base64"),
    ("endpoint hostname", "185.65.134.1:51820", "vpn.example.com:51820", "vpn.wireguard.endpoint", "socket address"),
    ("endpoint port zero", "185.65.134.1:51820", "185.65.134.1:0", "vpn.wireguard.endpoint", "port"),
    ("relative downloads path", "/Users/me/Downloads/Torrents", "Downloads/Torrents", "stack.downloads_dir", "absolute"),
    ("downloads path with ..", "/Users/me/Downloads/Torrents", "/Users/me/../../etc", "stack.downloads_dir", ".."),
    ("downloads path is root", "/Users/me/Downloads/Torrents", "/", "stack.downloads_dir", "root"),
    ("unknown provider", r#"provider = "custom""#, r#"provider = "acmevpn""#, "vpn.provider", "unknown provider"),
    ("unknown VPN type", r#"type = "wireguard""#, r#"type = "ipsec""#, "vpn.type", "unknown variant"),
    ("custom OpenVPN", r#"type = "wireguard""#, r#"type = "openvpn""#, "vpn.type", "custom provider"),
    ("port forwarding unsupported", "provider = \"custom\"\ntype = \"wireguard\"\nserver_countries = []\nport_forwarding = false", "provider = \"mullvad\"\ntype = \"wireguard\"\nserver_countries = [\"Sweden\"]\nport_forwarding = true", "vpn.port_forwarding", "forwards ports only"),
    ("no addresses", r#"addresses = ["10.64.0.2/32"]"#, "addresses = []", "vpn.wireguard.addresses", "at least one"),
    ("bad address", r#"addresses = ["10.64.0.2/32"]"#, r#"addresses = ["10.64.0.300/32"]"#, "vpn.wireguard.addresses[0]", "invalid"),
    ("image with a space", r#"gateway_image = "qmcgaw/gluetun:v3.41.1""#, r#"gateway_image = "qmcgaw/glue tun""#, "stack.gateway_image", "spaces"),
    ("image uppercase", r#"gateway_image = "qmcgaw/gluetun:v3.41.1""#, r#"gateway_image = "QMCGAW/Gluetun""#, "stack.gateway_image", "not an image name"),
    ("image empty", r#"qbittorrent_image = "lscr.io/linuxserver/qbittorrent:5.1.4""#, r#"qbittorrent_image = """#, "stack.qbittorrent_image", "must name"),
    ("root puid", "puid = 501", "puid = 0", "stack.puid", "root"),
    ("negative pgid", "pgid = 20", "pgid = -1", "stack.pgid", "u32"),
    ("bad timezone", r#"timezone = "Europe/Stockholm""#, r#"timezone = "Stockholm time""#, "stack.timezone", "timezone"),
    ("bad project name", r#"project = "torrent-vpn""#, r#"project = "Torrent VPN""#, "stack.project", "lowercase"),
    ("bad bind address", r#"bind_address = "127.0.0.1""#, r#"bind_address = "localhost""#, "stack.bind_address", "invalid"),
    ("country with a comma", r#"server_countries = []"#, r#"server_countries = ["Sweden,Norway"]"#, "vpn.server_countries[0]", "country"),
    ("secret in gateway env", r#"DNS_UPSTREAM_RESOLVERS = "quad9""#, r#"OPENVPN_PASSWORD = "hunter2""#, "stack.gateway_env.OPENVPN_PASSWORD", "looks like a secret"),
    ("secret-looking gateway env", r#"DNS_UPSTREAM_RESOLVERS = "quad9""#, r#"SHADOWSOCKS_PASSWORD = "x""#, "stack.gateway_env.SHADOWSOCKS_PASSWORD", "secret"),
    ("managed gateway env", r#"DNS_UPSTREAM_RESOLVERS = "quad9""#, r#"FIREWALL_OUTBOUND_SUBNETS = "0.0.0.0/0""#, "stack.gateway_env.FIREWALL_OUTBOUND_SUBNETS", "set by Torrent VPN"),
    ("bad env name", r#"DNS_UPSTREAM_RESOLVERS = "quad9""#, r#"dns-thing = "x""#, "stack.gateway_env.dns-thing", "environment variable"),
    ("unknown key", "puid = 501", "puid = 501\nwebui_prot = 9", "stack.webui_prot", "unknown field"),
    ("bad docker host", r#"host = "unix:///var/run/docker.sock""#, r#"host = "docker.sock""#, "docker.host", "Docker endpoint"),
    ("bad profile", r#"profile = "home""#, r#"profile = "My Home""#, "profile", "lowercase"),
    ("bad username", r#"username = "admin""#, r#"username = "ad min""#, "qbittorrent.username", "letters"),
];

#[test]
fn each_invalid_input_names_its_field() {
    assert!(INVALID.len() >= 20);
    let mut failures = Vec::new();
    for (what, from, to, field, needle) in INVALID {
        let text = with(from, to);
        match Settings::from_toml_str(&text) {
            Ok(_) => failures.push(format!("{what}: accepted")),
            Err(e) => {
                let errs = e.field_errors();
                let hit = errs
                    .iter()
                    .any(|f| f.field.to_string() == *field && f.message.contains(needle));
                if !hit {
                    failures.push(format!(
                        "{what}: expected {field} ~ {needle:?}, got {errs:?}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn custom_wireguard_needs_endpoint_and_key() {
    let s = Settings::new_custom_wireguard();
    let err = s.validate().unwrap_err();
    let fields: Vec<_> = err.field_errors().iter().map(|f| &f.field).collect();
    for field in [
        Field::WireguardEndpoint,
        Field::WireguardPublicKey,
        Field::WireguardAddresses,
    ] {
        assert!(fields.contains(&&field.into()), "{fields:?}");
    }
}

#[test]
fn save_writes_nothing_when_invalid_and_keeps_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conf/settings.toml");
    let good = Settings::from_toml_str(&valid_toml()).unwrap();
    good.save(&path).unwrap();
    let before = std::fs::read(&path).unwrap();

    let mut bad = good.clone();
    bad.stack.webui_port = 80;
    let err = bad.save(&path).unwrap_err();
    assert_eq!(err.field_errors()[0].field, Field::StackWebuiPort);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // No temp files are left behind.
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["settings.toml"]);
    assert_eq!(Settings::load(&path).unwrap(), Some(good));
}

#[test]
fn load_of_a_missing_file_is_none_and_a_broken_one_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.toml");
    assert_eq!(Settings::load(&path).unwrap(), None);
    std::fs::write(&path, with("webui_port = 8080", "webui_port = 99999")).unwrap();
    let msg = Settings::load(&path).unwrap_err().to_string();
    assert!(
        msg.contains("settings.toml") && msg.contains("stack.webui_port"),
        "{msg}"
    );
}

#[test]
fn the_profile_is_read_even_from_settings_that_are_not_usable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.toml");
    assert_eq!(Settings::profile_in(&path).unwrap(), None);
    // A bad port elsewhere: the profile is still the file's own.
    let bad_port = format!(
        "profile = \"work\"\n{}",
        with("webui_port = 8080", "webui_port = 99999")
            .lines()
            .filter(|l| !l.starts_with("profile"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    std::fs::write(&path, &bad_port).unwrap();
    assert!(Settings::load(&path).is_err());
    assert_eq!(
        Settings::profile_in(&path).unwrap().as_deref(),
        Some("work")
    );
    // No profile line: the default one, as `load` would say.
    std::fs::write(&path, "[stack]\nwebui_port = 99999\n").unwrap();
    assert_eq!(
        Settings::profile_in(&path).unwrap().as_deref(),
        Some("default")
    );
    // Not TOML, or a profile name that is not usable: an error naming the
    // file (and the field), never another profile.
    std::fs::write(&path, "profile = \"work").unwrap();
    let msg = Settings::profile_in(&path).unwrap_err().to_string();
    assert!(msg.contains("settings.toml"), "{msg}");
    std::fs::write(&path, "profile = \"My Work\"\n").unwrap();
    let msg = Settings::profile_in(&path).unwrap_err().to_string();
    assert!(
        msg.contains("settings.toml") && msg.contains("profile"),
        "{msg}"
    );
}

#[cfg(unix)]
#[test]
fn config_dir_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new/settings.toml");
    Settings::from_toml_str(&valid_toml())
        .unwrap()
        .save(&path)
        .unwrap();
    let mode = std::fs::metadata(path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "mode {mode:o}");
}

#[test]
fn json_from_the_settings_window_is_validated_the_same_way() {
    let s = Settings::from_toml_str(&valid_toml()).unwrap();
    let mut v = serde_json::to_value(&s).unwrap();
    v["stack"]["lan_subnets"] = serde_json::json!(["10.0.0.0/8", "nope"]);
    let err = Settings::from_json(v).unwrap_err();
    assert_eq!(err.field_errors()[0].field, Field::StackLanSubnets.item(1));
}

#[test]
fn wireguard_key_check() {
    assert!(is_wireguard_key(PUBKEY));
    assert!(!is_wireguard_key(""));
    assert!(!is_wireguard_key(&PUBKEY[..43]));
    // 33 bytes of base64 is too long.
    assert!(!is_wireguard_key(
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    ));
}

/// Ways around the tunnel or out of this machine that a setting could open,
/// each refused naming its field, and nothing saved: `(what, from, to,
/// field, words in the message)` edits of the valid fixture.
const EXPOSURES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "public LAN subnet, half the internet",
        r#"lan_subnets = ["192.168.1.0/24"]"#,
        r#"lan_subnets = ["128.0.0.0/1"]"#,
        "stack.lan_subnets[0]",
        "not a private range",
    ),
    (
        "public LAN subnet",
        r#"lan_subnets = ["192.168.1.0/24"]"#,
        r#"lan_subnets = ["8.8.8.0/24"]"#,
        "stack.lan_subnets[0]",
        "real IP",
    ),
    (
        "everything as LAN",
        r#"lan_subnets = ["192.168.1.0/24"]"#,
        r#"lan_subnets = ["0.0.0.0/0"]"#,
        "stack.lan_subnets[0]",
        "bypass the tunnel",
    ),
    (
        "global IPv6 as LAN",
        r#"lan_subnets = ["192.168.1.0/24"]"#,
        r#"lan_subnets = ["2001:db8::/32"]"#,
        "stack.lan_subnets[0]",
        "not a private range",
    ),
    (
        "wider than CGNAT",
        r#"lan_subnets = ["192.168.1.0/24"]"#,
        r#"lan_subnets = ["100.0.0.0/8"]"#,
        "stack.lan_subnets[0]",
        "not a private range",
    ),
    (
        "next to 172.16/12",
        r#"lan_subnets = ["192.168.1.0/24"]"#,
        r#"lan_subnets = ["172.32.0.0/16"]"#,
        "stack.lan_subnets[0]",
        "not a private range",
    ),
    (
        "next to 192.168/16",
        r#"lan_subnets = ["192.168.1.0/24"]"#,
        r#"lan_subnets = ["192.169.0.0/16"]"#,
        "stack.lan_subnets[0]",
        "not a private range",
    ),
    (
        "second subnet public",
        r#"lan_subnets = ["192.168.1.0/24"]"#,
        r#"lan_subnets = ["192.168.1.0/24", "11.0.0.0/8"]"#,
        "stack.lan_subnets[1]",
        "not a private range",
    ),
    (
        "real-IP echo not http(s)",
        "[qbittorrent]",
        "[monitor]\nreal_ip_url = \"ftp://echo.example\"\n\n[qbittorrent]",
        "monitor.real_ip_url",
        "not an IP echo's address",
    ),
    (
        "no backup kept",
        "[qbittorrent]",
        "[backup]\ndaily = true\nkeep = 0\n\n[qbittorrent]",
        "backup.keep",
        "0 is not between 1 and 365 backups",
    ),
    (
        "backups in a relative folder",
        "[qbittorrent]",
        "[backup]\ndir = \"backups\"\n\n[qbittorrent]",
        "backup.dir",
        "backups is not an absolute path",
    ),
    (
        "update feed over http",
        "[qbittorrent]",
        "[updates]\nfeed_url = \"http://releases.example/latest.json\"\n\n[qbittorrent]",
        "updates.feed_url",
        "the updater only asks https addresses",
    ),
    (
        "tunnel echo with credentials",
        "[qbittorrent]",
        "[monitor]\ntunnel_ip_url = \"https://me:pw@echo.example/\"\n\n[qbittorrent]",
        "monitor.tunnel_ip_url",
        "credentials do not belong in the URL",
    ),
    (
        "probe on loopback",
        "[qbittorrent]",
        "[monitor]\nprobe_target = \"127.0.0.1\"\n\n[qbittorrent]",
        "monitor.probe_target",
        "not an address on the internet",
    ),
    (
        "probe inside the LAN",
        "[qbittorrent]",
        "[monitor]\nprobe_target = \"192.168.1.5\"\n\n[qbittorrent]",
        "monitor.probe_target",
        "inside the LAN subnet",
    ),
    (
        "probe unspecified",
        "[qbittorrent]",
        "[monitor]\nprobe_target = \"0.0.0.0\"\n\n[qbittorrent]",
        "monitor.probe_target",
        "not an address on the internet",
    ),
    (
        "probe multicast",
        "[qbittorrent]",
        "[monitor]\nprobe_target = \"224.0.0.1\"\n\n[qbittorrent]",
        "monitor.probe_target",
        "not an address on the internet",
    ),
    (
        "Web UI on every address",
        r#"bind_address = "127.0.0.1""#,
        r#"bind_address = "0.0.0.0""#,
        "stack.bind_address",
        "every network",
    ),
    (
        "Web UI on every IPv6 address",
        r#"bind_address = "127.0.0.1""#,
        r#"bind_address = "::""#,
        "stack.bind_address",
        "every network",
    ),
    (
        "Web UI on a public address",
        r#"bind_address = "127.0.0.1""#,
        r#"bind_address = "203.0.113.7""#,
        "stack.bind_address",
        "from the internet",
    ),
    (
        "firewall off",
        r#"DNS_UPSTREAM_RESOLVERS = "quad9""#,
        r#"FIREWALL_ENABLED_DISABLING_IT_SHOOTS_YOU_IN_YOUR_FOOT = "off""#,
        "stack.gateway_env.FIREWALL_ENABLED_DISABLING_IT_SHOOTS_YOU_IN_YOUR_FOOT",
        "not an option",
    ),
    (
        "old outbound subnets",
        r#"DNS_UPSTREAM_RESOLVERS = "quad9""#,
        r#"EXTRA_SUBNETS = "0.0.0.0/1""#,
        "stack.gateway_env.EXTRA_SUBNETS",
        "set by Torrent VPN",
    ),
    (
        "input ports",
        r#"DNS_UPSTREAM_RESOLVERS = "quad9""#,
        r#"FIREWALL_VPN_INPUT_PORTS = "22""#,
        "stack.gateway_env.FIREWALL_VPN_INPUT_PORTS",
        "not an option",
    ),
    (
        "DNS server off",
        r#"DNS_UPSTREAM_RESOLVERS = "quad9""#,
        r#"DNS_SERVER = "off""#,
        "stack.gateway_env.DNS_SERVER",
        "set by Torrent VPN",
    ),
    (
        "DNS server off, old name",
        r#"DNS_UPSTREAM_RESOLVERS = "quad9""#,
        r#"DOT = "off""#,
        "stack.gateway_env.DOT",
        "set by Torrent VPN",
    ),
    (
        "a root command",
        r#"DNS_UPSTREAM_RESOLVERS = "quad9""#,
        r#"VPN_PORT_FORWARDING_UP_COMMAND = "sh -c id""#,
        "stack.gateway_env.VPN_PORT_FORWARDING_UP_COMMAND",
        "not an option",
    ),
    (
        "HTTP proxy",
        r#"DNS_UPSTREAM_RESOLVERS = "quad9""#,
        r#"HTTPPROXY = "on""#,
        "stack.gateway_env.HTTPPROXY",
        "not an option",
    ),
    (
        "Shadowsocks",
        r#"DNS_UPSTREAM_RESOLVERS = "quad9""#,
        r#"SHADOWSOCKS = "on""#,
        "stack.gateway_env.SHADOWSOCKS",
        "not an option",
    ),
    (
        "plain DNS through the LAN",
        r#"DNS_UPSTREAM_RESOLVERS = "quad9""#,
        r#"DNS_UPSTREAM_PLAIN_ADDRESSES = "192.168.1.1:53""#,
        "stack.gateway_env.DNS_UPSTREAM_PLAIN_ADDRESSES",
        "real IP",
    ),
    (
        "bad health IPs",
        r#"DNS_UPSTREAM_RESOLVERS = "quad9""#,
        r#"HEALTH_ICMP_TARGET_IPS = "one.one.one.one""#,
        "stack.gateway_env.HEALTH_ICMP_TARGET_IPS",
        "not an IP address",
    ),
    (
        "downloads into the system",
        r#"downloads_dir = "/Users/me/Downloads/Torrents""#,
        r#"downloads_dir = "/System/Torrents""#,
        "stack.downloads_dir",
        "system folder",
    ),
    (
        "downloads into /usr",
        r#"downloads_dir = "/Users/me/Downloads/Torrents""#,
        r#"downloads_dir = "/usr/local/torrents""#,
        "stack.downloads_dir",
        "system folder",
    ),
    (
        "downloads into /etc",
        r#"downloads_dir = "/Users/me/Downloads/Torrents""#,
        r#"downloads_dir = "/etc/torrents""#,
        "stack.downloads_dir",
        "system folder",
    ),
    (
        "downloads as /Volumes",
        r#"downloads_dir = "/Users/me/Downloads/Torrents""#,
        r#"downloads_dir = "/Volumes""#,
        "stack.downloads_dir",
        "system folder",
    ),
    (
        "remote engine in the clear",
        r#"host = "unix:///var/run/docker.sock""#,
        r#"host = "tcp://192.168.1.10:2375""#,
        "docker.host",
        "without encryption",
    ),
    (
        "remote engine over http",
        r#"host = "unix:///var/run/docker.sock""#,
        r#"host = "http://docker.example:2375""#,
        "docker.host",
        "without encryption",
    ),
];

#[test]
fn exposures_are_refused_naming_the_field_and_nothing_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    let good = valid_toml();
    std::fs::write(&file, &good).unwrap();
    let mut rows: Vec<(String, String, String, String)> = EXPOSURES
        .iter()
        .map(|(what, from, to, field, words)| {
            (
                what.to_string(),
                with(from, to),
                field.to_string(),
                words.to_string(),
            )
        })
        .collect();
    // The user's own home and Library, wherever they are on this machine.
    if let Some(home) = directories::UserDirs::new().map(|u| u.home_dir().to_path_buf()) {
        let line = r#"downloads_dir = "/Users/me/Downloads/Torrents""#;
        for (what, path, words) in [
            ("downloads as the home folder", home.clone(), "home folder"),
            (
                "downloads into ~/Library",
                home.join("Library/Torrents"),
                "Library",
            ),
        ] {
            rows.push((
                what.to_owned(),
                with(
                    line,
                    &format!("downloads_dir = {:?}", path.display().to_string()),
                ),
                "stack.downloads_dir".to_owned(),
                words.to_owned(),
            ));
        }
    }
    assert!(rows.len() >= 25, "only {} rows", rows.len());
    for (what, text, field, words) in &rows {
        let err = Settings::from_toml_str(text).expect_err(what);
        let fields: Vec<_> = err
            .field_errors()
            .iter()
            .map(|f| f.field.to_string())
            .collect();
        assert_eq!(fields, vec![field.clone()], "{what}: {err}");
        assert!(err.to_string().contains(words.as_str()), "{what}: {err}");
        // Saving it writes nothing.
        let unchecked: Settings = toml::from_str(text).unwrap();
        assert!(unchecked.save(&file).is_err(), "{what}: saved");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), good, "{what}");
    }
}

#[test]
fn private_ranges_pass_and_the_risky_ones_warn() {
    let text = with(
        r#"lan_subnets = ["192.168.1.0/24"]"#,
        r#"lan_subnets = ["192.168.1.0/24", "10.0.0.0/8", "172.16.5.0/24", "169.254.0.0/16", "fd00::/8", "fe80::/64", "100.64.0.0/10"]"#,
    );
    let s = Settings::from_toml_str(&text).unwrap();
    let warnings = s.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].field, Field::StackLanSubnets.item(6));
    assert!(warnings[0].message.contains("carrier-grade NAT"));
    let lan = with(
        r#"bind_address = "127.0.0.1""#,
        r#"bind_address = "192.168.1.20""#,
    );
    let s = Settings::from_toml_str(&lan).unwrap();
    assert!(s.warnings()[0].message.contains("plain HTTP"));
    let local = with(
        r#"host = "unix:///var/run/docker.sock""#,
        r#"host = "tcp://127.0.0.1:2375""#,
    );
    Settings::from_toml_str(&local).unwrap();
    let tls = with(
        r#"host = "unix:///var/run/docker.sock""#,
        r#"host = "https://nas.lan:2376""#,
    );
    Settings::from_toml_str(&tls).unwrap();
}

#[test]
fn lab_knobs_exist_only_in_lab_builds() {
    let text = with(
        r#"DNS_UPSTREAM_RESOLVERS = "quad9""#,
        r#"LAB_UPLINK = "10.221.0.2""#,
    );
    let result = Settings::from_toml_str(&text);
    if cfg!(feature = "lab") {
        result.unwrap();
    } else {
        let err = result.unwrap_err();
        assert_eq!(
            err.field_errors()[0].field,
            Field::StackGatewayEnv.entry("LAB_UPLINK")
        );
    }
}

/// The dotted paths of every value in `table`, a table such as
/// `gateway_env` counting as one value when `leaf_tables` names it.
fn leaf_paths(prefix: &str, table: &toml::Table, leaf_tables: &[&str], out: &mut Vec<String>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(t) if !leaf_tables.contains(&path.as_str()) => {
                leaf_paths(&path, t, leaf_tables, out)
            }
            _ => out.push(path),
        }
    }
}

#[test]
fn the_fields_are_exactly_the_settings_files_values_and_the_keychain_items() {
    let mut s = Settings::from_toml_str(&valid_toml()).unwrap();
    // The optional values too.
    s.vpn.port_forwarding_provider = Some(PortForwardProvider::Protonvpn);
    s.stack.network = Some("lan".into());
    s.docker.host = Some("unix:///var/run/docker.sock".into());
    s.backup.dir = Some("/Users/me/Backups".into());
    s.updates.feed_url = Some("https://releases.example/latest.json".into());
    let table: toml::Table = toml::from_str(&s.to_toml_string().unwrap()).unwrap();
    let mut paths = Vec::new();
    leaf_paths("", &table, &[Field::StackGatewayEnv.as_str()], &mut paths);
    paths.sort();

    let mut settings_fields: Vec<String> = Field::ALL
        .iter()
        .filter(|f| !matches!(f, Field::Secret(_)))
        .map(|f| f.as_str().to_owned())
        .collect();
    settings_fields.sort();
    assert_eq!(settings_fields, paths);

    let secrets: Vec<Field> = Field::ALL
        .into_iter()
        .filter(|f| matches!(f, Field::Secret(_)))
        .collect();
    assert_eq!(
        secrets,
        crate::secrets::SecretKind::ALL.map(Field::Secret).to_vec()
    );
    for kind in crate::secrets::SecretKind::ALL {
        assert_eq!(
            Field::Secret(kind).as_str(),
            format!("secrets.{}", kind.key())
        );
    }
}

#[test]
fn fields_and_paths_read_back_from_their_text() {
    let mut seen = std::collections::HashSet::new();
    for f in Field::ALL {
        assert!(seen.insert(f.as_str()), "{f} twice");
        assert_eq!(f.as_str().parse::<Field>(), Ok(f));
        assert_eq!(f.to_string(), f.as_str());
        assert_eq!(FieldPath::from_reader(f.as_str()), f);
    }
    assert!("vpn".parse::<Field>().is_err());
    for path in [
        Field::StackLanSubnets.item(3),
        Field::WireguardAddresses.item(0),
        Field::StackGatewayEnv.entry("LOG_LEVEL"),
    ] {
        assert_eq!(FieldPath::from_reader(&path.to_string()), path);
    }
    assert_eq!(
        Field::StackLanSubnets.item(3).to_string(),
        "stack.lan_subnets[3]"
    );
    assert_eq!(
        Field::StackGatewayEnv.entry("LOG_LEVEL").to_string(),
        "stack.gateway_env.LOG_LEVEL"
    );
    for reader in ["vpn", "stack.webui_prot", "(file)"] {
        let p = FieldPath::from_reader(reader);
        assert_eq!(p, FieldPath::Reader(reader.to_owned()));
        assert_eq!(p.field(), None);
        assert_eq!(p.to_string(), reader);
    }
    // Errors carry the path as text, as the window reads it.
    let e = FieldError::new(Field::StackLanSubnets.item(1), "no");
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        serde_json::json!({"field": "stack.lan_subnets[1]", "message": "no"})
    );
    assert_eq!(e.to_string(), "stack.lan_subnets[1]: no");
}

// ---- commit: settings and secrets, all or nothing ----

/// A store that refuses to store one kind, and optionally to delete.
struct Failing {
    inner: MemoryStore,
    set: SecretKind,
    delete: bool,
}

impl Failing {
    fn on(set: SecretKind) -> Self {
        Self {
            inner: MemoryStore::default(),
            set,
            delete: false,
        }
    }
}

impl SecretStore for Failing {
    fn get(&self, p: &str, k: SecretKind) -> Result<Option<SecretString>, SecretError> {
        self.inner.get(p, k)
    }
    fn set(&self, p: &str, k: SecretKind, v: &SecretString) -> Result<(), SecretError> {
        if k == self.set {
            return Err(SecretError::Locked("test".into()));
        }
        self.inner.set(p, k, v)
    }
    fn delete(&self, p: &str, k: SecretKind) -> Result<(), SecretError> {
        if self.delete {
            return Err(SecretError::AccessDenied("test".into()));
        }
        self.inner.delete(p, k)
    }
    fn backend(&self) -> String {
        "test".into()
    }
}

fn secret(v: &str) -> SecretString {
    SecretString::from(v.to_owned())
}

fn stored(store: &dyn SecretStore, kind: SecretKind) -> Option<String> {
    store
        .get("home", kind)
        .unwrap()
        .map(|v| v.expose_secret().to_owned())
}

/// A settings file and two stored secrets, as they were before a commit.
fn committed_before(store: &dyn SecretStore) -> (tempfile::TempDir, PathBuf, Settings, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config/settings.toml");
    let old = Settings::from_toml_str(&valid_toml()).unwrap();
    let done = commit(
        &file,
        &old,
        &[
            (SecretKind::WireguardPrivateKey, secret("old-key")),
            (SecretKind::OpenvpnUser, secret("old-user")),
        ],
        Some(store),
    )
    .unwrap();
    assert_eq!(
        done,
        Committed {
            secrets_stored: 2,
            settings_written: true
        }
    );
    let bytes = std::fs::read(&file).unwrap();
    (dir, file, old, bytes)
}

fn new_items() -> Vec<(SecretKind, SecretString)> {
    vec![
        (SecretKind::WireguardPrivateKey, secret("new-key")),
        (SecretKind::WireguardPresharedKey, secret("new-psk")),
        (SecretKind::OpenvpnUser, secret("new-user")),
    ]
}

#[test]
fn commit_writes_the_settings_and_the_secrets_and_skips_an_unchanged_file() {
    let store = MemoryStore::default();
    let (_dir, file, old, _) = committed_before(&store);
    let mut new = old.clone();
    new.stack.webui_port = 9090;
    let done = commit(&file, &new, &new_items(), Some(&store)).unwrap();
    assert_eq!(
        done,
        Committed {
            secrets_stored: 3,
            settings_written: true
        }
    );
    assert_eq!(Settings::load(&file).unwrap(), Some(new.clone()));
    assert_eq!(
        stored(&store, SecretKind::WireguardPresharedKey).as_deref(),
        Some("new-psk")
    );
    let done = commit(&file, &new, &[], None).unwrap();
    assert!(!done.settings_written);
}

#[test]
fn a_failing_secret_store_leaves_the_old_settings_file_and_secrets_untouched() {
    // The third item fails: the two stored before are put back (the old
    // value, or no item where there was none), and the file is not written.
    let store = Failing::on(SecretKind::OpenvpnUser);
    let (_dir, file, old, before) = committed_before(&store.inner);
    let mut new = old.clone();
    new.stack.webui_port = 9090;
    let err = commit(&file, &new, &new_items(), Some(&store)).unwrap_err();
    assert!(
        matches!(
            err,
            CommitError::Secret {
                kind: SecretKind::OpenvpnUser,
                rollback: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("nothing was changed"), "{err}");
    assert!(!err.to_string().contains("new-"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert_eq!(
        stored(&store, SecretKind::WireguardPrivateKey).as_deref(),
        Some("old-key")
    );
    assert_eq!(stored(&store, SecretKind::WireguardPresharedKey), None);
    assert_eq!(
        stored(&store, SecretKind::OpenvpnUser).as_deref(),
        Some("old-user")
    );

    // A keychain that cannot be reached at all.
    let down = MemoryStore::failing(SecretError::Unavailable("no bus".into()));
    let err = commit(&file, &new, &new_items(), Some(&down)).unwrap_err();
    assert!(matches!(err, CommitError::Secret { .. }), "{err:?}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn a_settings_file_that_cannot_be_written_puts_the_secrets_back() {
    let store = MemoryStore::default();
    let (dir, _file, old, _) = committed_before(&store);
    // The file's folder is a file: the write fails.
    let blocked = dir.path().join("blocked");
    std::fs::write(&blocked, "").unwrap();
    let err = commit(
        &blocked.join("settings.toml"),
        &old,
        &new_items(),
        Some(&store),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            CommitError::Settings {
                source: SettingsError::Io { .. },
                rollback: None
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        stored(&store, SecretKind::WireguardPrivateKey).as_deref(),
        Some("old-key")
    );
    assert_eq!(stored(&store, SecretKind::WireguardPresharedKey), None);
    assert_eq!(
        stored(&store, SecretKind::OpenvpnUser).as_deref(),
        Some("old-user")
    );
}

#[test]
fn a_failed_put_back_is_reported_with_what_to_check() {
    let store = Failing {
        delete: true,
        ..Failing::on(SecretKind::OpenvpnUser)
    };
    let (_dir, file, old, before) = committed_before(&store.inner);
    let err = commit(&file, &old, &new_items(), Some(&store)).unwrap_err();
    assert!(
        matches!(
            err,
            CommitError::Secret {
                rollback: Some(SecretError::AccessDenied(_)),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("tvpn secrets list"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn invalid_settings_or_no_keychain_change_nothing() {
    let store = MemoryStore::default();
    let (_dir, file, old, before) = committed_before(&store);
    let mut bad = old.clone();
    bad.stack.webui_port = 80;
    let err = commit(&file, &bad, &new_items(), Some(&store)).unwrap_err();
    assert_eq!(err.field_errors()[0].field, Field::StackWebuiPort);
    assert_eq!(
        stored(&store, SecretKind::WireguardPrivateKey).as_deref(),
        Some("old-key")
    );
    let err = commit(&file, &old, &new_items(), None).unwrap_err();
    assert!(matches!(err, CommitError::NoKeychain), "{err:?}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

// ---- the lab's demo profile ----

#[cfg(feature = "lab")]
mod lab_demo {
    use super::*;
    use crate::settings::demo::{self, topology, LabState};

    const SERVER_PUB: &str = "rBvyUqvwcMNCeRlQb4Kb8Y0VUbrXd6xH0gC0Bo2r5nM=";
    const CLIENT_KEY: &str = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
    const PSK: &str = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=";

    /// A lab state folder with keys, as `scripts/lab up` leaves it.
    fn lab() -> (tempfile::TempDir, LabState) {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        std::fs::create_dir_all(&keys).unwrap();
        for (name, key) in [
            ("server.pub", SERVER_PUB),
            ("client.key", CLIENT_KEY),
            ("psk", PSK),
        ] {
            std::fs::write(keys.join(name), format!("{key}\n")).unwrap();
        }
        let state = LabState::new(dir.path());
        (dir, state)
    }

    /// The profile as `lab/lib/topology.sh` wrote it by hand before.
    fn written_by_hand(lab: &LabState, uid: u32, gid: u32) -> Settings {
        let text = format!(
            r#"profile = "lab-demo"

[vpn]
provider = "custom"
type = "wireguard"
server_countries = []
port_forwarding = true
port_forwarding_provider = "protonvpn"

[vpn.wireguard]
endpoint = "10.222.0.3:51820"
public_key = "{SERVER_PUB}"
addresses = ["10.66.66.2/32"]

[stack]
project = "tvpn-lab-demo"
network = "tvpn-lab-lan"
gateway_image = "tvpn-lab/gateway:latest"
qbittorrent_image = "tvpn-lab/qbittorrent:5.1"
downloads_dir = "{}"
lan_subnets = []
bind_address = "127.0.0.1"
webui_port = 18080
control_port = 18000
puid = {uid}
pgid = {gid}
timezone = "Etc/UTC"

[monitor]
probe_target = "10.222.0.10"
real_ip_url = "http://10.221.0.2:8080/"
tunnel_ip_url = "http://10.222.0.10/"

[stack.gateway_env]
LAB_UPLINK = "10.221.0.2"
DNS_UPSTREAM_RESOLVER_TYPE = "plain"
DNS_UPSTREAM_PLAIN_ADDRESSES = "10.222.0.53:53"
HEALTH_TARGET_ADDRESSES = "10.222.0.10:80"
HEALTH_ICMP_TARGET_IPS = "10.222.0.10"
"#,
            lab.downloads_dir().display()
        );
        Settings::from_toml_str(&text).unwrap()
    }

    #[test]
    fn the_demo_profile_is_the_labs_and_is_stored_with_its_keys() {
        let (_dir, lab) = lab();
        let (settings, secrets) = demo::profile(&lab).unwrap();
        #[cfg(unix)]
        let (uid, gid) = {
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::metadata(lab.downloads_dir()).unwrap();
            match (meta.uid(), meta.gid()) {
                (0, _) => (1000, 1000),
                ids => ids,
            }
        };
        #[cfg(not(unix))]
        let (uid, gid) = (1000, 1000);
        assert_eq!(settings, written_by_hand(&lab, uid, gid));
        assert_eq!(secrets.len(), 2);

        let file = lab.config_dir().join("settings.toml");
        let store = MemoryStore::default();
        let done = demo::write(&lab, &file, Some(&store)).unwrap();
        assert_eq!(done.secrets_stored, 2);
        assert_eq!(Settings::load(&file).unwrap(), Some(settings.clone()));
        let key = store
            .get(demo::PROFILE, SecretKind::WireguardPrivateKey)
            .unwrap()
            .unwrap();
        assert_eq!(key.expose_secret(), CLIENT_KEY);
        let psk = store
            .get(demo::PROFILE, SecretKind::WireguardPresharedKey)
            .unwrap()
            .unwrap();
        assert_eq!(psk.expose_secret(), PSK);

        // Without a keychain: the settings only.
        let other = lab.dir().join("other/settings.toml");
        let done = demo::write(&lab, &other, None).unwrap();
        assert_eq!(done.secrets_stored, 0);
        assert_eq!(Settings::load(&other).unwrap(), Some(settings));
    }

    #[test]
    fn no_demo_profile_without_the_labs_keys_and_none_half_stored() {
        let dir = tempfile::tempdir().unwrap();
        let empty = LabState::new(dir.path());
        let file = empty.config_dir().join("settings.toml");
        let store = MemoryStore::default();
        let err = demo::write(&empty, &file, Some(&store)).unwrap_err();
        assert!(err.to_string().contains("scripts/lab up"), "{err}");
        assert!(!file.exists());

        let (_dir, lab) = lab();
        std::fs::write(lab.dir().join("keys/psk"), "not a key\n").unwrap();
        let err = demo::write(&lab, &file, Some(&store)).unwrap_err();
        assert!(err.to_string().contains("not a WireGuard key"), "{err}");
        assert!(store
            .get(demo::PROFILE, SecretKind::WireguardPrivateKey)
            .unwrap()
            .is_none());
    }

    /// The lab's shell scripts set the topology up: the profile's
    /// addresses must be the ones they use.
    #[test]
    fn the_topology_is_the_one_the_lab_scripts_set_up() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lab/lib/topology.sh");
        let text = std::fs::read_to_string(&script).unwrap();
        let value = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}=")))
                .map(|v| v.trim_matches('"').to_owned())
                .unwrap_or_else(|| panic!("{name} is not set in {}", script.display()))
        };
        assert_eq!(value("LAB_NET_LAN"), topology::NET_LAN);
        assert_eq!(value("LAB_EXIT_IP"), topology::EXIT_IP.to_string());
        assert_eq!(value("LAB_ECHO_IP"), topology::ECHO_IP.to_string());
        assert_eq!(
            value("LAB_ROUTER_LAN_IP"),
            topology::ROUTER_LAN_IP.to_string()
        );
        assert_eq!(value("LAB_DNS_IP"), topology::DNS_IP.to_string());
        assert_eq!(value("LAB_DEMO_CONFIG"), "$STATE_DIR/demo-config");
        assert_eq!(value("LAB_KEYS_DIR"), "$STATE_DIR/keys");
    }
}
