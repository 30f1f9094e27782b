//! `tvpn import-env` as a user runs it: the real binary, a temporary config
//! dir, and (for the tests that store secrets) the real Secret Service.
//!
//! The keychain tests are `#[ignore]`d for a plain `cargo test`;
//! `scripts/test` runs them with `--include-ignored` inside a D-Bus session
//! with an unlocked gnome-keyring, and there they fail, never skip, when no
//! Secret Service answers. Each test uses its own profile and removes its
//! items at the end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tvpn_core::import::scrub_comment;
use tvpn_core::secrets::{ExposeSecret, KeyringStore, SecretKind, SecretStore, SecretString};
use tvpn_core::Settings;

const PRIVATE_KEY: &str = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
const PRESHARED_KEY: &str = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=";
const PUBLIC_KEY: &str = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
const QB_PASS: &str = "c0rrect-h0rse #battery";
const OVPN_PASS: &str = "ovpn-s3cret-pw";

fn secret_values() -> [&'static str; 5] {
    [
        PRIVATE_KEY,
        PRESHARED_KEY,
        QB_PASS,
        OVPN_PASS,
        "c0rrect-h0rse",
    ]
}

/// The seed's `.env`, with CRLF line endings and no final newline.
fn seed_env() -> String {
    [
        "# Torrent stack: docker compose reads this file",
        "VPN_SERVICE_PROVIDER=protonvpn",
        "VPN_TYPE=wireguard",
        &format!("WIREGUARD_PRIVATE_KEY={PRIVATE_KEY}"),
        "WIREGUARD_ADDRESSES=10.2.0.2/32",
        "SERVER_COUNTRIES=Netherlands,Switzerland",
        "VPN_PORT_FORWARDING=on",
        "",
        "LOCAL_SUBNET=192.168.1.0/24   # the home network",
        "DOWNLOADS_PATH=/srv/media/torrents",
        "PUID=501",
        "PGID=20",
        "TZ=Europe/Berlin",
        "QBITTORRENT_USER=admin",
        &format!("QBITTORRENT_PASS=\"{QB_PASS}\""),
        "QBITTORRENT_WEBUI_PORT=8081",
        "export OPENVPN_PASSWORD='ovpn-s3cret-pw'",
        "COMPOSE_PROJECT_NAME=torrents",
    ]
    .join("\r\n")
}

fn wg_conf() -> String {
    format!(
        "[Interface]\nPrivateKey = {PRIVATE_KEY}\nAddress = 10.64.0.2/32\nDNS = 10.64.0.1\n\n\
         [Peer]\nPublicKey = {PUBLIC_KEY}\nPresharedKey = {PRESHARED_KEY}\n\
         AllowedIPs = 0.0.0.0/0\nEndpoint = 203.0.113.5:51820\n"
    )
}

struct Env {
    dir: tempfile::TempDir,
    profile: String,
}

impl Env {
    /// A config dir whose settings name a profile of this test alone.
    fn new(tag: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let profile = format!("itest-{tag}-{}", std::process::id());
        let mut s = Settings::new_custom_wireguard();
        s.profile = profile.clone();
        s.vpn.provider = "mullvad".into();
        s.vpn.wireguard.addresses = vec!["10.9.0.2/32".parse().unwrap()];
        s.stack.downloads_dir = PathBuf::from("/srv/old");
        s.save(&dir.path().join("config/settings.toml")).unwrap();
        Self { dir, profile }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    fn settings_file(&self) -> PathBuf {
        self.config().join("settings.toml")
    }

    fn write(&self, name: &str, content: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    fn tvpn(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tvpn"))
            .arg("--config-dir")
            .arg(self.config())
            .args(args)
            .env_remove("TVPN_CONFIG_DIR")
            // The most log output there is: no secret may show up in it either.
            .env("RUST_LOG", "debug")
            .output()
            .unwrap()
    }

    fn store(&self) -> KeyringStore {
        KeyringStore::open().expect("a Secret Service must answer (scripts/test provides one)")
    }

    fn stored(&self, kind: SecretKind) -> Option<String> {
        self.store()
            .get(&self.profile, kind)
            .unwrap()
            .map(|s| s.expose_secret().to_owned())
    }

    fn cleanup(&self) {
        let store = self.store();
        for kind in SecretKind::ALL {
            store.delete(&self.profile, kind).unwrap();
        }
    }
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn assert_no_secret(what: &str, text: &str) {
    for s in secret_values() {
        assert!(!text.contains(s), "{what} holds a secret value:\n{text}");
    }
}

/// `after` is `before` with the lines in `replaced` (1-based) turned into
/// the scrub comment (same line ending); every other line is byte-for-byte
/// the same.
fn assert_scrubbed(before: &[u8], after: &[u8], replaced: &[(usize, &str)]) {
    let split = |b: &[u8]| -> Vec<Vec<u8>> {
        b.split_inclusive(|&c| c == b'\n')
            .map(<[u8]>::to_vec)
            .collect()
    };
    let (b, a) = (split(before), split(after));
    assert_eq!(b.len(), a.len(), "line count changed");
    for (i, (bl, al)) in b.iter().zip(&a).enumerate() {
        match replaced.iter().find(|(n, _)| *n == i + 1) {
            Some((_, key)) => {
                let ending: &[u8] = if bl.ends_with(b"\r\n") {
                    b"\r\n"
                } else if bl.ends_with(b"\n") {
                    b"\n"
                } else {
                    b""
                };
                let mut expected = scrub_comment(key).into_bytes();
                expected.extend_from_slice(ending);
                assert_eq!(al, &expected, "line {}", i + 1);
            }
            None => assert_eq!(bl, al, "line {} changed", i + 1),
        }
    }
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let env = Env::new("dry");
    let file = env.write(".env", &seed_env());
    let settings_before = std::fs::read(env.settings_file()).unwrap();
    let out = env.tvpn(&["import-env", file.to_str().unwrap(), "--dry-run"]);
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    for expected in [
        "vpn.provider",
        "\"mullvad\" -> \"protonvpn\"",
        "stack.lan_subnets",
        "[\"192.168.1.0/24\"]",
        &format!("Keychain, profile \"{}\"", env.profile),
        "wireguard-private-key",
        "qbittorrent-password",
        "openvpn-password",
        "line 4: replaced by",
        "line 18 COMPOSE_PROJECT_NAME",
        "Dry run: nothing was changed.",
    ] {
        assert!(shown.contains(expected), "missing {expected:?}:\n{shown}");
    }
    assert_no_secret("the output", &shown);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), seed_env());
    assert_eq!(std::fs::read(env.settings_file()).unwrap(), settings_before);
}

#[test]
fn a_bad_file_is_refused_with_its_line_and_changes_nothing() {
    let env = Env::new("bad");
    let bad = seed_env().replace("LOCAL_SUBNET=192.168.1.0/24", "LOCAL_SUBNET=192.168.1.0/33");
    let file = env.write(".env", &bad);
    let settings_before = std::fs::read(env.settings_file()).unwrap();
    let out = env.tvpn(&["import-env", file.to_str().unwrap()]);
    let shown = text(&out);
    assert!(!out.status.success(), "{shown}");
    assert!(shown.contains("nothing was changed"), "{shown}");
    assert!(
        shown.contains("line 9: LOCAL_SUBNET: \"192.168.1.0/33\" is not a subnet"),
        "{shown}"
    );
    assert_no_secret("the output", &shown);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), bad);
    assert_eq!(std::fs::read(env.settings_file()).unwrap(), settings_before);

    let mut not_utf8 = b"TZ=Europe/Berlin\nQBITTORRENT_PASS=".to_vec();
    not_utf8.extend([0xff, 0xfe, b'\n']);
    let file = env.dir.path().join("latin1.env");
    std::fs::write(&file, &not_utf8).unwrap();
    let out = env.tvpn(&["import-env", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("line 2: QBITTORRENT_PASS: not UTF-8"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read(&file).unwrap(), not_utf8);
}

#[test]
#[ignore = "needs a Secret Service (scripts/test provides one)"]
fn the_seed_env_goes_to_settings_and_the_real_keychain_and_is_scrubbed() {
    let env = Env::new("seed");
    let file = env.write(".env", &seed_env());
    let out = env.tvpn(&["import-env", file.to_str().unwrap()]);
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("stored 3 secret(s)"), "{shown}");
    assert_no_secret("the output", &shown);

    assert_eq!(
        env.stored(SecretKind::WireguardPrivateKey).as_deref(),
        Some(PRIVATE_KEY)
    );
    assert_eq!(
        env.stored(SecretKind::QbittorrentPassword).as_deref(),
        Some(QB_PASS)
    );
    assert_eq!(
        env.stored(SecretKind::OpenvpnPassword).as_deref(),
        Some(OVPN_PASS)
    );
    assert_eq!(env.stored(SecretKind::OpenvpnUser), None);

    let list = env.tvpn(&["secrets", "list"]);
    let listed = text(&list);
    assert!(list.status.success(), "{listed}");
    assert!(
        listed.contains(&format!("profile {}", env.profile)),
        "{listed}"
    );
    assert_no_secret("`secrets list`", &listed);

    let settings_text = std::fs::read_to_string(env.settings_file()).unwrap();
    assert_no_secret("the settings file", &settings_text);
    let s = Settings::from_toml_str(&settings_text).unwrap();
    assert_eq!(s.profile, env.profile);
    assert_eq!(s.vpn.provider, "protonvpn");
    assert_eq!(s.vpn.server_countries, ["Netherlands", "Switzerland"]);
    assert!(s.vpn.port_forwarding);
    assert_eq!(s.vpn.wireguard.addresses, ["10.2.0.2/32".parse().unwrap()]);
    assert_eq!(s.stack.lan_subnets, ["192.168.1.0/24".parse().unwrap()]);
    assert_eq!(s.stack.downloads_dir, Path::new("/srv/media/torrents"));
    assert_eq!(
        (s.stack.puid, s.stack.pgid, s.stack.webui_port),
        (501, 20, 8081)
    );
    assert_eq!(s.stack.timezone, "Europe/Berlin");
    assert_eq!(s.qbittorrent.username, "admin");

    let after = std::fs::read(&file).unwrap();
    assert_no_secret("the scrubbed file", &String::from_utf8_lossy(&after));
    assert_scrubbed(
        seed_env().as_bytes(),
        &after,
        &[
            (4, "WIREGUARD_PRIVATE_KEY"),
            (15, "QBITTORRENT_PASS"),
            (17, "OPENVPN_PASSWORD"),
        ],
    );
    assert!(!after.ends_with(b"\n"));
    env.cleanup();
}

#[test]
#[ignore = "needs a Secret Service (scripts/test provides one)"]
fn a_wg_quick_file_is_imported_and_left_in_place() {
    let env = Env::new("wg");
    let file = env.write("wg0.conf", &wg_conf());
    let out = env.tvpn(&["import-env", file.to_str().unwrap()]);
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("was not changed and still holds the private key"),
        "{shown}"
    );
    assert_no_secret("the output", &shown);
    assert_eq!(
        env.stored(SecretKind::WireguardPrivateKey).as_deref(),
        Some(PRIVATE_KEY)
    );
    assert_eq!(
        env.stored(SecretKind::WireguardPresharedKey).as_deref(),
        Some(PRESHARED_KEY)
    );
    let settings_text = std::fs::read_to_string(env.settings_file()).unwrap();
    assert_no_secret("the settings file", &settings_text.replace(PUBLIC_KEY, ""));
    let s = Settings::from_toml_str(&settings_text).unwrap();
    assert_eq!(s.vpn.provider, "custom");
    assert_eq!(
        s.vpn.wireguard.endpoint,
        Some("203.0.113.5:51820".parse().unwrap())
    );
    assert_eq!(s.vpn.wireguard.public_key.as_deref(), Some(PUBLIC_KEY));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), wg_conf());
    env.cleanup();
}

#[test]
#[ignore = "needs a Secret Service (scripts/test provides one)"]
fn a_bad_file_leaves_the_real_keychain_as_it_was() {
    let env = Env::new("badkc");
    let old = SecretString::from("the-old-qbittorrent-password".to_owned());
    env.store()
        .set(&env.profile, SecretKind::QbittorrentPassword, &old)
        .unwrap();
    // Valid secrets, one invalid setting further down.
    let bad = seed_env().replace("PUID=501", "PUID=0");
    let file = env.write(".env", &bad);
    let settings_before = std::fs::read(env.settings_file()).unwrap();
    let out = env.tvpn(&["import-env", file.to_str().unwrap()]);
    let shown = text(&out);
    assert!(!out.status.success(), "{shown}");
    assert!(shown.contains("line 11: PUID: must not be 0"), "{shown}");
    assert_no_secret("the output", &shown);
    assert_eq!(
        env.stored(SecretKind::QbittorrentPassword).as_deref(),
        Some("the-old-qbittorrent-password")
    );
    assert_eq!(env.stored(SecretKind::WireguardPrivateKey), None);
    assert_eq!(env.stored(SecretKind::OpenvpnPassword), None);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), bad);
    assert_eq!(std::fs::read(env.settings_file()).unwrap(), settings_before);
    env.cleanup();
}
