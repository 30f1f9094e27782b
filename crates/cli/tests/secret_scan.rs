//! No secret anywhere but the keychain: import a `.env`, connect, ask for
//! the status, verify, watch, disconnect, then scan everything a secret could
//! have leaked into (the config dir and its logs, the scrubbed `.env`,
//! `docker inspect` of every container, every process's arguments, and the
//! commands' own output, and a `tvpn diagnostics` bundle: what it holds,
//! with no secret and no real IP in it even when a log carried them) for
//! each secret, raw and base64-encoded.
//!
//! `#[ignore = "needs the lab"]`: scripts/test runs it with the lab up and
//! a real Secret Service.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tvpn_testkit as lab;

use std::path::Path;
use std::time::Duration;

use bollard::query_parameters::{InspectContainerOptions, ListContainersOptionsBuilder};
use lab::{contains_secret, Profile, Watch, LAB};
use tvpn_core::secrets::SecretKind;

/// Every file below `dir`, as text (lossy).
fn files_below(dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_below(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
}

/// `docker inspect` of every container on the engine.
async fn inspect_all(docker: &bollard::Docker) -> Vec<(String, String)> {
    let all = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default().all(true).build(),
        ))
        .await
        .unwrap();
    let mut out = Vec::new();
    for c in all {
        let id = c.id.unwrap_or_default();
        if let Ok(info) = docker
            .inspect_container(&id, None::<InspectContainerOptions>)
            .await
        {
            out.push((
                format!("docker inspect {id}"),
                serde_json::to_string(&info).unwrap(),
            ));
        }
    }
    out
}

/// The arguments of every process on the machine (containers' included).
fn process_args() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.chars().all(|c| c.is_ascii_digit()) {
            if let Ok(bytes) = std::fs::read(entry.path().join("cmdline")) {
                out.push((
                    format!("/proc/{name}/cmdline"),
                    String::from_utf8_lossy(&bytes).replace('\0', " "),
                ));
            }
        }
    }
    out
}

fn scan(places: &[(String, String)], secrets: &[(&str, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (place, text) in places {
        for (name, secret) in secrets {
            if contains_secret(text, secret) {
                found.push(format!("{name} in {place}"));
            }
        }
    }
    found
}

#[test]
fn the_scan_finds_raw_and_base64_forms() {
    let secret = "wChT/lUsPHXcc0MPwz0/zAhtCT80QnUIcjcW3hnxSUo=".to_owned();
    let secrets = [("key", secret.clone())];
    let raw = vec![("a".to_owned(), format!("x {secret} y"))];
    // base64 of the key's text, as a config dump might carry it.
    let encoded = vec![(
        "b".to_owned(),
        "d0NoVC9sVXNQSFhjYzBNUHd6MC96QWh0Q1Q4MFFuVUljamNXM2hueFNVbz0=".to_owned(),
    )];
    assert_eq!(scan(&raw, &secrets).len(), 1);
    assert_eq!(scan(&encoded, &secrets).len(), 1);
    assert!(scan(&[("c".to_owned(), "nothing".to_owned())], &secrets).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn no_secret_outside_the_keychain() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let p = Profile::without_secrets("scan").await;
    let qbit_password = "scan-Pa55word-4-qbit";
    let env_dir = tempfile::tempdir().unwrap();
    let env_file = env_dir.path().join(".env");
    let settings = p.settings();
    let wg = &settings["vpn"]["wireguard"];
    std::fs::write(
        &env_file,
        format!(
            "# the seed's .env\nVPN_SERVICE_PROVIDER=custom\nVPN_TYPE=wireguard\n\
             WIREGUARD_PRIVATE_KEY={key}\nWIREGUARD_PRESHARED_KEY={psk}\n\
             WIREGUARD_PUBLIC_KEY={public}\nWIREGUARD_ADDRESSES=10.66.66.2/32\n\
             WIREGUARD_ENDPOINT_IP=10.222.0.3\nWIREGUARD_ENDPOINT_PORT=51820\n\
             QBITTORRENT_PASS={qbit_password}\nTZ=Etc/UTC\n",
            key = p.client_key,
            psk = p.psk,
            public = wg["public_key"].as_str().unwrap(),
        ),
    )
    .unwrap();

    let mut outputs: Vec<(String, String)> = Vec::new();
    let mut run = |args: &[&str]| {
        // The most verbose logging there is: still no secret.
        let out = p.tvpn_env(args, &[("RUST_LOG", "trace")]);
        outputs.push((
            format!("tvpn {}", args.join(" ")),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        ));
        out
    };
    let env_path = env_file.display().to_string();
    assert!(run(&["-vv", "import-env", &env_path]).status.success());
    assert!(run(&["-vv", "connect"]).status.success());

    // While connected: every container's configuration and every process's
    // arguments.
    let mut places = inspect_all(&docker).await;
    places.extend(process_args());
    assert!(run(&["-vv", "status"]).status.success());
    assert!(run(&["-vv", "status", "--json"]).status.success());
    assert!(run(&["-vv", "verify"]).status.success(), "verify failed");
    for (name, text) in diagnostics_bundle(&p).await {
        places.push((format!("the diagnostics bundle: {name}"), text));
    }
    let watch = Watch::start(&p);
    watch
        .wait_state("protected", 0, Duration::from_secs(30))
        .await;
    places.extend(process_args());
    let watched = watch.text();
    drop(watch);
    // The Web UI login: the hint, and the password through the clipboard.
    assert!(run(&["-vv", "webui-password"]).status.success());
    let display = lab::Display::start();
    let (copied, said) = lab::copied_password(&p, &display, &["-vv"]);
    assert_eq!(
        copied, qbit_password,
        "the clipboard holds the Web UI password"
    );
    places.push(("tvpn -vv webui-password --copy".to_owned(), said));
    places.extend(process_args());
    drop(display);
    assert!(run(&["-vv", "disconnect"]).status.success());
    outputs.push(("tvpn watch --json".to_owned(), watched));

    let api_key = p.secret(SecretKind::ControlApiKey).await.unwrap();
    assert_eq!(
        p.secret(SecretKind::QbittorrentPassword).await.as_deref(),
        Some(qbit_password),
        "the imported qBittorrent password is the one in use"
    );
    let secrets = [
        ("WireGuard private key", p.client_key.clone()),
        ("WireGuard preshared key", p.psk.clone()),
        ("qBittorrent password", qbit_password.to_owned()),
        ("control-server API key", api_key),
    ];

    files_below(p.dir.path(), &mut places);
    places.push((
        "the scrubbed .env".to_owned(),
        std::fs::read_to_string(&env_file).unwrap(),
    ));
    places.extend(outputs);
    let found = scan(&places, &secrets);
    eprintln!(
        "scanned {} places for {} secrets",
        places.len(),
        secrets.len()
    );
    assert!(found.is_empty(), "secrets found: {found:#?}");

    // After disconnect no container holding them remains.
    assert!(lab::container(&docker, &p.gateway_name()).await.is_none());
    assert!(lab::container(&docker, &p.qbittorrent_name())
        .await
        .is_none());
}

/// The files of a `tvpn diagnostics` bundle: (name inside, text).
fn unpack(bundle: &Path) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(bundle)
        .arg("-C")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "the bundle is a gzipped tar");
    let mut files = Vec::new();
    files_below(dir.path(), &mut files);
    let root = dir.path().display().to_string();
    files
        .into_iter()
        .map(|(p, t)| {
            (
                p.trim_start_matches(&root)
                    .trim_start_matches('/')
                    .to_owned(),
                t,
            )
        })
        .collect()
}

/// A diagnostics bundle of `p`'s connected, verified stack holds its
/// status, logs and settings, and none of the profile's secrets nor the
/// real IP: not even from a log line that carried them (planted in the
/// app's log directory, as a bug would write it, and removed after).
/// Returns the bundle's files.
async fn diagnostics_bundle(p: &Profile) -> Vec<(String, String)> {
    let url = p.settings()["monitor"]["real_ip_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let real_ip = tvpn_core::verify::leaks::real_ip(&url)
        .await
        .unwrap()
        .to_string();
    let api_key = p.secret(SecretKind::ControlApiKey).await.unwrap();
    let qbit_password = p.secret(SecretKind::QbittorrentPassword).await.unwrap();
    let logs = p.dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(
        logs.join("planted.log"),
        format!(
            "handshake: key {} psk {} from {real_ip}\n",
            p.client_key, p.psk
        ),
    )
    .unwrap();

    let out_dir = tempfile::tempdir().unwrap();
    let bundle = out_dir.path().join("d.tar.gz");
    let out = p.tvpn(&["diagnostics", "--out", bundle.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "diagnostics failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("d.tar.gz"));
    let files = unpack(&bundle);
    let text = |name: &str| {
        files
            .iter()
            .find(|(n, _)| n == &format!("diagnostics/{name}"))
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| {
                panic!(
                    "no {name} in {:?}",
                    files.iter().map(|f| &f.0).collect::<Vec<_>>()
                )
            })
    };
    let status: serde_json::Value = serde_json::from_str(&text("status.json")).unwrap();
    assert_eq!(status["stack"]["state"], "running", "{status}");
    assert!(text("settings.toml").contains("[vpn"));
    // The app's last verify, or why there is none (`tvpn verify` keeps none).
    assert!(!text("last-verify.json").is_empty());
    assert!(text("engine.json").contains("engine_version"));
    let planted = text("app-logs/planted.log");
    assert_eq!(
        planted,
        "handshake: key [redacted wireguard-private-key] psk [redacted wireguard-preshared-key] from [redacted real IP]\n"
    );
    let gateway_log = text(&format!("containers/{}.log", p.gateway_name()));
    assert!(gateway_log.lines().count() > 3, "{gateway_log}");
    text(&format!("containers/{}.log", p.qbittorrent_name()));

    let secrets = [
        ("WireGuard private key", p.client_key.clone()),
        ("WireGuard preshared key", p.psk.clone()),
        ("qBittorrent password", qbit_password),
        ("control-server API key", api_key),
        ("the real IP", real_ip),
    ];
    let found = scan(&files, &secrets);
    assert!(found.is_empty(), "found in the bundle: {found:#?}");
    std::fs::remove_file(logs.join("planted.log")).unwrap();
    files
}
