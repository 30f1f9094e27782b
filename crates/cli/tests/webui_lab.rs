//! qBittorrent hardened before its first start, and a Web UI the user can
//! log into, against the lab's qBittorrent 4.5 and 5.1:
//! - the first start already runs with the app's password, bound to the
//!   tunnel, with DHT, LSD and PeX off (qBittorrent's own log of that
//!   start), no temporary password needed, also with a 4.5 image whose log
//!   holds no version line;
//! - a browser-style request with a foreign `Host` is refused;
//! - the copied password logs in, and its cookie works on `torrents/info`;
//! - a password the user sets works, the old one does not;
//! - an existing config volume keeps the user's other keys.
//!
//! `#[ignore = "needs the lab"]`: run by `scripts/test` (Xvfb and xclip for
//! the clipboard).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tvpn_testkit as lab;

use std::io::Write;
use std::process::Stdio;

use lab::{Profile, LAB};
use secrecy::SecretString;
use tvpn_core::qbittorrent::QbitClient;
use tvpn_core::secrets::SecretKind;

/// A qBittorrent 4.5 image that, like qBittorrent 4.6.0 and older, prints
/// nothing but its own log file (no version line in `docker logs`).
const QUIET_45: &str = "tvpn-lab/qbittorrent-quiet:4.5";

fn build_quiet_45() {
    lab::docker_build(
        QUIET_45,
        "FROM tvpn-lab/qbittorrent:4.5\nENV LAB_QBT_LOG_TO_STDOUT=0\n",
    );
}

async fn qbit(p: &Profile) -> QbitClient {
    QbitClient::new(&format!("http://127.0.0.1:{}", p.webui_port), "admin").unwrap()
}

/// qBittorrent's own log file, from the container.
async fn qbit_log(docker: &bollard::Docker, p: &Profile) -> String {
    lab::exec(
        docker,
        &p.qbittorrent_name(),
        &["cat", "/config/qBittorrent/logs/qbittorrent.log"],
    )
    .await
}

async fn hardened_from_the_first_start(image: &str, tag: &str) {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let p = Profile::new(tag).await;
    p.edit_settings(|s| s["stack"]["qbittorrent_image"] = image.into());

    let r = p.connect();
    assert_eq!(r["qbittorrent"]["password_initialized"], true, "{r}");

    // The first start already ran hardened: qBittorrent's log of it.
    let log = qbit_log(&docker, &p).await;
    assert_eq!(log.matches(" started").count(), 1, "one start:\n{log}");
    for line in [
        "(DHT) support: OFF",
        "Discovery support: OFF",
        "(PeX) support: OFF",
    ] {
        assert!(log.contains(line), "{line}:\n{log}");
    }
    let listening: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Successfully listening on IP"))
        .collect();
    assert!(!listening.is_empty(), "{log}");
    for l in &listening {
        assert!(
            l.contains("10.66.66.2"),
            "listening outside the tunnel: {l}"
        );
    }
    let docker_log = lab::logs(&docker, &p.qbittorrent_name()).await;
    assert!(
        !docker_log.contains("temporary password"),
        "a temporary password was needed:\n{docker_log}"
    );
    assert!(!log.contains("WebAPI login failure"), "{log}");

    // Read back through the API.
    let password = p.secret(SecretKind::QbittorrentPassword).await.unwrap();
    let qb = qbit(&p).await;
    qb.login(&SecretString::from(password.clone()))
        .await
        .unwrap();
    let prefs = qb.preferences().await.unwrap();
    assert_eq!(prefs.current_network_interface.as_deref(), Some("tun0"));
    assert_eq!(prefs.web_ui_host_header_validation_enabled, Some(true));
    assert_eq!(
        prefs.web_ui_domain_list.as_deref(),
        Some("localhost;127.0.0.1")
    );
    assert_eq!(prefs.web_ui_csrf_protection_enabled, Some(true));
    assert_eq!(prefs.bypass_local_auth, Some(false));
    assert_eq!(prefs.bypass_auth_subnet_whitelist_enabled, Some(false));
    assert_eq!(prefs.autorun_enabled, Some(false));
    assert_eq!(
        (prefs.dht, prefs.lsd, prefs.pex),
        (Some(false), Some(false), Some(false))
    );
    // A new file started from the image's defaults: downloads go to the
    // downloads folder, not into the config volume.
    assert_eq!(
        prefs.save_path.as_deref().map(|p| p.trim_end_matches('/')),
        Some("/downloads")
    );

    // A page on another site reaching 127.0.0.1 by DNS rebinding sends its
    // own host name: refused. The same request with the real host answers.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("http://127.0.0.1:{}/api/v2/app/version", p.webui_port);
    let evil = http
        .get(&url)
        .header("Host", format!("evil.example:{}", p.webui_port))
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status().as_u16(), 401, "a foreign Host was accepted");
    let local = http
        .get(&url)
        .header("Host", format!("localhost:{}", p.webui_port))
        .send()
        .await
        .unwrap();
    assert_eq!(
        local.status().as_u16(),
        403,
        "not logged in: 403, not a Host refusal"
    );

    // The copied password logs in, and its cookie works on torrents/info.
    let display = lab::Display::start();
    let copied = lab::copied_password(&p, &display, &[]).0;
    assert_eq!(copied, password);
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .no_proxy()
        .build()
        .unwrap();
    let base = format!("http://localhost:{}", p.webui_port);
    let login = browser
        .post(format!("{base}/api/v2/auth/login"))
        .form(&[("username", "admin"), ("password", copied.as_str())])
        .send()
        .await
        .unwrap();
    assert!(login.status().is_success());
    assert_eq!(login.text().await.unwrap(), "Ok.");
    let info = browser
        .get(format!("{base}/api/v2/torrents/info"))
        .send()
        .await
        .unwrap();
    assert_eq!(info.status().as_u16(), 200);
    assert!(info.text().await.unwrap().starts_with('['));

    // A password the user sets works; the old one no longer does.
    let mine = "my-own-webui-password-1";
    let mut set = p
        .command(&["webui-password", "--set"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    set.stdin
        .take()
        .unwrap()
        .write_all(mine.as_bytes())
        .unwrap();
    let out = set.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("changed"));
    assert_eq!(
        p.secret(SecretKind::QbittorrentPassword).await.as_deref(),
        Some(mine)
    );
    qbit(&p)
        .await
        .login(&SecretString::from(mine.to_owned()))
        .await
        .unwrap();
    assert!(
        qbit(&p)
            .await
            .login(&SecretString::from(password.clone()))
            .await
            .is_err(),
        "the old password still logs in"
    );

    // The user's own settings survive a new container on the same volume.
    let qb = qbit(&p).await;
    qb.login(&SecretString::from(mine.to_owned()))
        .await
        .unwrap();
    qb.set_preferences(&serde_json::json!({
        "save_path": "/downloads/mine/",
        "dl_limit": 1_228_800,
        "dht": true,
    }))
    .await
    .unwrap();
    p.disconnect();
    p.connect();
    let qb = qbit(&p).await;
    qb.login(&SecretString::from(mine.to_owned()))
        .await
        .unwrap();
    let prefs = qb.preferences().await.unwrap();
    assert_eq!(
        prefs.save_path.as_deref().map(|p| p.trim_end_matches('/')),
        Some("/downloads/mine")
    );
    assert_eq!(prefs.dl_limit, Some(1_228_800));
    // DHT is the app's setting, not the user's: back off.
    assert_eq!(prefs.dht, Some(false));
    assert_eq!(
        prefs.web_ui_domain_list.as_deref(),
        Some("localhost;127.0.0.1")
    );
    let conf = lab::exec(
        &docker,
        &p.qbittorrent_name(),
        &["cat", "/config/qBittorrent/qBittorrent.conf"],
    )
    .await;
    assert!(!conf.contains(mine), "the password is in the config file");
    p.disconnect();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn qbittorrent_51_is_hardened_before_its_first_start() {
    hardened_from_the_first_start("tvpn-lab/qbittorrent:5.1", "webui51").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn qbittorrent_45_without_a_version_line_is_hardened_before_its_first_start() {
    build_quiet_45();
    hardened_from_the_first_start(QUIET_45, "webui45").await;
}
