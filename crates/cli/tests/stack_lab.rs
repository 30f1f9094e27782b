//! The stack manager through `tvpn`, against the real engine and the lab:
//! connect and a torrent through the tunnel, disconnect and resume, heal
//! after a gateway restart and recreation, crash recovery at every connect
//! step, and bad input. The download's resume comes after a backup, the
//! volumes wiped and a restore; daily backups are written and pruned while
//! the session runs.
//!
//! Every test is `#[ignore = "needs the lab"]`: `scripts/test` runs them with
//! `--include-ignored` after `scripts/lab up`, inside a D-Bus session with a
//! real Secret Service. They fail, never skip, without the lab. Timings are
//! printed for the log; the benchmark reports them, no assertion does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tvpn_testkit as lab;

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, DownloadFromContainerOptionsBuilder,
    RemoveContainerOptionsBuilder, RestartContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::StreamExt;
use lab::{container, running, Profile, Watch, EXIT_IP, LAB};
use secrecy::SecretString;
use tvpn_core::gluetun::GluetunClient;
use tvpn_core::qbittorrent::{MainDataState, QbitClient};
use tvpn_core::secrets::SecretKind;
use tvpn_core::stack::tunnel_ip;

async fn gateway_client(p: &Profile) -> GluetunClient {
    let key = p.secret(SecretKind::ControlApiKey).await.unwrap();
    GluetunClient::new(
        &format!("http://127.0.0.1:{}", p.control_port),
        Some(SecretString::from(key)),
    )
    .unwrap()
}

async fn qbit_client(p: &Profile) -> QbitClient {
    let password = p.secret(SecretKind::QbittorrentPassword).await.unwrap();
    let qb = QbitClient::new(&format!("http://127.0.0.1:{}", p.webui_port), "admin").unwrap();
    qb.login(&SecretString::from(password)).await.unwrap();
    qb
}

/// qBittorrent never runs outside a running gateway whose tunnel is up.
async fn assert_invariant(docker: &Docker, p: &Profile, when: &str) {
    let qb = container(docker, &p.qbittorrent_name()).await;
    if !running(&qb) {
        return;
    }
    let gw = container(docker, &p.gateway_name()).await;
    assert!(
        running(&gw),
        "{when}: qBittorrent runs without a running gateway"
    );
    let gw_id = gw.unwrap().id.unwrap();
    let mode = qb.unwrap().host_config.unwrap().network_mode.unwrap();
    assert_eq!(
        mode,
        format!("container:{gw_id}"),
        "{when}: qBittorrent outside the gateway"
    );
    let ip = tunnel_ip(&gateway_client(p).await).await.unwrap();
    assert_eq!(
        ip.and_then(|i| i.public_ip)
            .map(|a| a.to_string())
            .as_deref(),
        Some(EXIT_IP),
        "{when}: qBittorrent runs while the tunnel is not up"
    );
}

/// Either nothing runs, or the whole stack runs with the tunnel up.
async fn assert_consistent(docker: &Docker, p: &Profile, when: &str) -> bool {
    assert_invariant(docker, p, when).await;
    let gw = running(&container(docker, &p.gateway_name()).await);
    let qb = running(&container(docker, &p.qbittorrent_name()).await);
    if gw && !qb {
        // A gateway alone is consistent only while its tunnel is not up
        // (reconcile does not start qBittorrent before it is).
        let up = matches!(tunnel_ip(&gateway_client(p).await).await, Ok(Some(_)));
        assert!(
            !up,
            "{when}: the tunnel is up but qBittorrent was not started"
        );
    }
    gw && qb
}

async fn assert_nothing_left(docker: &Docker, p: &Profile, when: &str) {
    assert!(
        container(docker, &p.gateway_name()).await.is_none(),
        "{when}: the gateway container remains"
    );
    assert!(
        container(docker, &p.qbittorrent_name()).await.is_none(),
        "{when}: the qBittorrent container remains"
    );
}

/// `backup.daily`: the session (here `tvpn watch`, as in the app) writes a
/// backup at once when the newest is more than a day old, into
/// `backup.dir`, with the stack's volumes, and keeps the newest
/// `backup.keep`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn daily_backups_are_written_and_pruned_while_watching() {
    let _one = LAB.lock().await;
    let p = Profile::new("daily").await;
    p.connect();
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Two, three and four days old: the newest of them stays (keep = 2).
    let old: Vec<PathBuf> = [2, 3, 4]
        .iter()
        .map(|days| {
            dir.path()
                .join(format!("torrent-vpn-backup-{}.tar.gz", now - days * 86_400))
        })
        .collect();
    for f in &old {
        std::fs::write(f, b"an old backup").unwrap();
    }
    let folder = dir.path().to_str().unwrap().to_owned();
    p.edit_settings(|s| {
        let mut backup = toml::value::Table::new();
        backup.insert("daily".to_owned(), true.into());
        backup.insert("dir".to_owned(), folder.into());
        backup.insert("keep".to_owned(), 2.into());
        s.as_table_mut()
            .unwrap()
            .insert("backup".to_owned(), toml::Value::Table(backup));
    });
    let watch = Watch::start(&p);
    let done = lab::wait_for("the daily backup", Duration::from_secs(60), async || {
        watch
            .values()
            .into_iter()
            .find(|v| v["type"] == "backed_up")
    })
    .await;
    assert_eq!(done["scheduled"], true, "{done}");
    assert_eq!(done["removed"], 2, "{done}");
    let path = PathBuf::from(done["path"].as_str().unwrap());
    let mut left: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    left.sort();
    let mut want = vec![old[0].clone(), path.clone()];
    want.sort();
    assert_eq!(left, want);
    let backup = tvpn_core::backup::read(&path).unwrap();
    assert_eq!(backup.manifest.profile, p.name);
    assert!(
        backup
            .volumes
            .iter()
            .any(|(name, tar)| name.ends_with("_qbittorrent-config") && !tar.is_empty()),
        "{:?}",
        backup.manifest
    );
    // Once a day: no second one while the first is fresh.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let written = watch
        .values()
        .iter()
        .filter(|v| v["type"] == "backed_up")
        .count();
    assert_eq!(written, 1);
    drop(watch);
    p.disconnect();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn connect_download_disconnect_resume() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let p = Profile::new("connect").await;
    lab::fresh_seeder(&docker).await;
    let forwarded = lab::natpmp_port(&docker).await;

    let t = Instant::now();
    let r = p.connect();
    eprintln!("connect took {:?}", t.elapsed());
    assert_eq!(r["public_ip"], EXIT_IP);
    // The port the VPN server maps over NAT-PMP.
    assert_eq!(r["forwarded_port"], forwarded);
    assert_eq!(r["qbittorrent"]["password_initialized"], true);

    // `tvpn status` shows the VPN's exit address.
    let status = p.tvpn(&["status"]);
    assert!(status.status.success());
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains(&format!("VPN IP {EXIT_IP}")), "{text}");
    let json = p.tvpn(&["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["vpn"]["public_ip"], EXIT_IP);

    // The containers as created: secrets only as files, qBittorrent inside
    // the gateway with no ports of its own.
    let gw = container(&docker, &p.gateway_name()).await.unwrap();
    let gw_json = serde_json::to_string(&gw).unwrap();
    let secrets = [
        p.client_key.clone(),
        p.psk.clone(),
        p.secret(SecretKind::ControlApiKey).await.unwrap(),
        p.secret(SecretKind::QbittorrentPassword).await.unwrap(),
    ];
    for s in &secrets {
        assert!(
            !lab::contains_secret(&gw_json, s),
            "a secret is in docker inspect"
        );
    }
    let qbc = container(&docker, &p.qbittorrent_name()).await.unwrap();
    let qb_json = serde_json::to_string(&qbc).unwrap();
    for s in &secrets {
        assert!(
            !lab::contains_secret(&qb_json, s),
            "a secret is in docker inspect"
        );
    }
    let host = qbc.host_config.unwrap();
    assert_eq!(
        host.network_mode.as_deref(),
        Some(format!("container:{}", gw.id.clone().unwrap()).as_str())
    );
    assert!(host.port_bindings.unwrap_or_default().is_empty());
    let labels = qbc.config.unwrap().labels.unwrap();
    assert_eq!(labels["com.docker.compose.project"], p.project);
    assert_eq!(labels["com.docker.compose.service"], "qbittorrent");

    // Hardening took effect.
    let qb = qbit_client(&p).await;
    let prefs = qb.preferences().await.unwrap();
    assert_eq!(prefs.current_network_interface.as_deref(), Some("tun0"));
    assert_eq!(prefs.listen_port, Some(u32::from(forwarded)));
    assert_eq!(prefs.upnp, Some(false));
    assert_eq!(prefs.dht, Some(false));

    // A download through the tunnel, held at 4 MB/s so that disconnect
    // catches it midway.
    qb.set_preferences(&serde_json::json!({ "dl_limit": 4_000_000 }))
        .await
        .unwrap();
    qb.add_torrent_url(lab::MEDIUM_TORRENT, None).await.unwrap();
    let mut state = MainDataState::new();
    let mut peers_seen = Vec::new();
    let mut hash = String::new();
    let before = lab::wait_for(
        "a quarter of the download",
        Duration::from_secs(90),
        async || {
            qb.sync(&mut state).await.unwrap();
            let (h, t) = state.torrents().next()?;
            h.clone_into(&mut hash);
            peers_seen.extend(lab::seeder_peers(&docker, h).await);
            (t.progress >= 0.25).then_some(t.progress)
        },
    )
    .await;
    assert!(before < 1.0, "the download finished before disconnect");
    let backups = tempfile::tempdir().unwrap();
    let file = backup_file(&backups);
    backup_while_connected_and_restore_refused(&p, &file);

    p.disconnect();
    assert_nothing_left(&docker, &p, "after disconnect").await;
    // What follows resumes from a restored backup: the volumes were wiped
    // in between.
    backup_wipe_restore(&docker, &p, &file).await;

    let r2 = p.connect();
    assert_eq!(r2["public_ip"], EXIT_IP);
    assert_eq!(r2["qbittorrent"]["password_initialized"], false);
    let qb = qbit_client(&p).await;
    let mut state = MainDataState::new();
    let resumed = lab::wait_for(
        "the torrent after reconnect",
        Duration::from_secs(30),
        async || {
            qb.sync(&mut state).await.unwrap();
            // 0 while it checks its resume data.
            state
                .torrents()
                .next()
                .map(|(_, t)| t.progress)
                .filter(|p| *p > 0.0)
        },
    )
    .await;
    eprintln!(
        "progress before disconnect {before:.2}, after backup, wipe, restore and reconnect {resumed:.2}"
    );
    assert!(
        resumed >= before * 0.9,
        "the torrent started over ({resumed} after {before})"
    );
    qb.set_preferences(&serde_json::json!({ "dl_limit": 0 }))
        .await
        .unwrap();
    lab::wait_for(
        "the download to finish",
        Duration::from_secs(120),
        async || {
            qb.sync(&mut state).await.unwrap();
            peers_seen.extend(lab::seeder_peers(&docker, &hash).await);
            state
                .torrents()
                .next()
                .is_some_and(|(_, t)| t.progress >= 1.0)
                .then_some(())
        },
    )
    .await;
    peers_seen.sort();
    peers_seen.dedup();
    assert_eq!(
        peers_seen,
        vec![EXIT_IP.to_owned()],
        "the seeder saw other addresses"
    );
    // The leak cross-check (5.1+): what libtorrent saw, when it saw
    // anything, is the VPN exit.
    let info = qb.transfer_info().await.unwrap();
    eprintln!(
        "libtorrent's external address: {:?}",
        info.last_external_address_v4
    );
    if let Some(seen) = info.last_external_address_v4.filter(|a| !a.is_empty()) {
        assert_eq!(seen, EXIT_IP);
    }

    p.disconnect();
    assert_nothing_left(&docker, &p, "after the second disconnect").await;
}

/// Wait for the tunnel of the gateway named `name` with ID other than
/// `not_id` to be up; then for qBittorrent to run in its namespace with the
/// Web UI answering. Returns (tunnel back, healed) instants.
async fn wait_healed(docker: &Docker, p: &Profile, gateway_id: &str) -> (Instant, Instant) {
    let client = gateway_client(p).await;
    lab::wait_for(
        "the gateway's tunnel back",
        Duration::from_secs(60),
        async || matches!(tunnel_ip(&client).await, Ok(Some(_))).then_some(()),
    )
    .await;
    let back = Instant::now();
    let probe = QbitClient::new(&format!("http://127.0.0.1:{}", p.webui_port), "admin").unwrap();
    lab::wait_for("qBittorrent healed", Duration::from_secs(60), async || {
        let qb = container(docker, &p.qbittorrent_name()).await?;
        let gw = container(docker, &p.gateway_name()).await?;
        let in_ns = qb.host_config?.network_mode? == format!("container:{gateway_id}");
        let after = qb.state?.started_at? >= gw.state?.started_at?;
        (in_ns && after && probe.probe().await.is_ok()).then_some(())
    })
    .await;
    (back, Instant::now())
}

/// Traffic from the gateway's namespace (qBittorrent's) leaves by the VPN.
async fn assert_exit_ip(docker: &Docker, p: &Profile) {
    let seen = lab::exec(
        docker,
        &p.gateway_name(),
        &["curl", "-s", "--max-time", "5", "http://10.222.0.10/"],
    )
    .await;
    assert_eq!(seen.trim(), EXIT_IP);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn heal_gateway_restart_and_recreate() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let p = Profile::new("heal").await;
    p.connect();
    let watch = Watch::start(&p);
    lab::wait_for(
        "watch to see the stack",
        Duration::from_secs(20),
        async || watch.text().contains("\"connected\"").then_some(()),
    )
    .await;

    // 1. docker restart of the gateway: qBittorrent is left in the old
    //    namespace until it is restarted.
    let gw_id = container(&docker, &p.gateway_name())
        .await
        .unwrap()
        .id
        .unwrap();
    let qb_id = container(&docker, &p.qbittorrent_name())
        .await
        .unwrap()
        .id
        .unwrap();
    docker
        .restart_container(
            &p.gateway_name(),
            Some(RestartContainerOptionsBuilder::default().t(10).build()),
        )
        .await
        .unwrap();
    let (back, healed) = wait_healed(&docker, &p, &gw_id).await;
    eprintln!(
        "restart healed {:?} after the tunnel was back",
        healed.saturating_duration_since(back)
    );
    let qb_after = container(&docker, &p.qbittorrent_name())
        .await
        .unwrap()
        .id
        .unwrap();
    assert_eq!(
        qb_after, qb_id,
        "a restart needs a restart, not a new container"
    );
    assert_exit_ip(&docker, &p).await;
    assert_invariant(&docker, &p, "after the restart heal").await;

    // 2. The gateway recreated from the same definition (as compose or
    //    Watchtower do), with its secret files carried over.
    let old = container(&docker, &p.gateway_name()).await.unwrap();
    let mut archive = Vec::new();
    let mut download = docker.download_from_container(
        &p.gateway_name(),
        Some(
            DownloadFromContainerOptionsBuilder::default()
                .path("/run/secrets")
                .build(),
        ),
    );
    while let Some(chunk) = download.next().await {
        archive.extend_from_slice(&chunk.unwrap());
    }
    docker
        .remove_container(
            &p.gateway_name(),
            Some(RemoveContainerOptionsBuilder::default().force(true).build()),
        )
        .await
        .unwrap();
    let config = old.config.unwrap();
    let body = ContainerCreateBody {
        image: config.image,
        env: config.env,
        labels: config.labels,
        exposed_ports: config.exposed_ports,
        healthcheck: config.healthcheck,
        host_config: old.host_config,
        ..Default::default()
    };
    let created = docker
        .create_container(
            Some(
                CreateContainerOptionsBuilder::default()
                    .name(&p.gateway_name())
                    .build(),
            ),
            body,
        )
        .await
        .unwrap();
    docker
        .upload_to_container(
            &created.id,
            Some(
                UploadToContainerOptionsBuilder::default()
                    .path("/run")
                    .build(),
            ),
            bollard::body_full(archive.into()),
        )
        .await
        .unwrap();
    docker.start_container(&created.id, None).await.unwrap();
    let (back, healed) = wait_healed(&docker, &p, &created.id).await;
    eprintln!(
        "recreate healed {:?} after the tunnel was back",
        healed.saturating_duration_since(back)
    );
    let qb_new = container(&docker, &p.qbittorrent_name())
        .await
        .unwrap()
        .id
        .unwrap();
    assert_ne!(
        qb_new, qb_id,
        "qBittorrent pinned to a removed gateway must be recreated"
    );
    assert_exit_ip(&docker, &p).await;
    assert_invariant(&docker, &p, "after the recreate heal").await;
    // The recreated qBittorrent was hardened again.
    let prefs = qbit_client(&p).await.preferences().await.unwrap();
    assert_eq!(prefs.current_network_interface.as_deref(), Some("tun0"));
    assert_eq!(
        prefs.listen_port,
        Some(u32::from(lab::natpmp_port(&docker).await))
    );
    assert!(watch.text().contains("started"), "{}", watch.text());
    drop(watch);
    p.disconnect();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn crash_at_every_connect_step() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let p = Profile::new("crash").await;
    for step in 1..=tvpn_core::stack::CONNECT_STEPS.len() {
        let when = format!("abort after step {step}");
        let n = step.to_string();
        let out = p.tvpn_env(&["connect"], &[("TVPN_TEST_ABORT_AFTER_STEP", n.as_str())]);
        assert!(
            out.status.code().is_none(),
            "{when}: connect was not aborted"
        );
        assert_invariant(&docker, &p, &when).await;
        assert!(
            p.tvpn(&["status"]).status.success(),
            "{when}: status failed"
        );
        if step % 2 == 1 {
            let r = p.tvpn(&["reconcile", "--json"]);
            assert!(r.status.success(), "{when}: reconcile failed");
            let connected = assert_consistent(&docker, &p, &format!("{when}, reconciled")).await;
            eprintln!("{when}: reconciled to connected={connected}");
        }
        let r = p.connect();
        assert_eq!(r["public_ip"], EXIT_IP, "{when}");
        assert!(assert_consistent(&docker, &p, &format!("{when}, connected")).await);
        p.disconnect();
        assert_nothing_left(&docker, &p, &when).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn bad_input_gets_clear_errors() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let p = Profile::new("bad").await;
    let stderr = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();

    // Docker not running (an engine address where nothing listens).
    let saved = p.settings();
    p.edit_settings(|s| {
        let mut docker = toml::value::Table::new();
        docker.insert(
            "host".to_owned(),
            "unix:///tmp/tvpn-test-no-engine.sock".into(),
        );
        s.as_table_mut()
            .unwrap()
            .insert("docker".to_owned(), toml::Value::Table(docker));
    });
    let out = p.tvpn(&["connect"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("Docker is not running"),
        "{}",
        stderr(&out)
    );
    p.write_settings(&saved);

    // A port already in use.
    let listener = std::net::TcpListener::bind(("127.0.0.1", p.webui_port)).unwrap();
    let out = p.tvpn(&["connect"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(&format!("port {}", p.webui_port)), "{err}");
    assert!(err.contains("already in use"), "{err}");
    assert_nothing_left(&docker, &p, "after the port error").await;
    drop(listener);

    // A missing image and no registry (a loopback address nobody serves).
    let image = "127.0.0.1:9/tvpn-missing-gateway:1";
    p.edit_settings(|s| s["stack"]["gateway_image"] = image.into());
    let out = p.tvpn(&["connect"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(image), "{}", stderr(&out));
    assert_nothing_left(&docker, &p, "after the image error").await;
    p.write_settings(&saved);

    // The Keychain's password is the one qBittorrent gets: a new container
    // is given it before it starts, whatever its config held before.
    p.connect();
    p.disconnect();
    let right = "another-password-1";
    p.set_secret("qbittorrent-password", right);
    p.connect();
    qbit_client(&p).await;

    // A running qBittorrent whose password is not the Keychain's (changed
    // behind the app's back): one attempt, a clear error, no ban.
    p.set_secret("qbittorrent-password", "wrong-password-1");
    let name = p.qbittorrent_name();
    let since = i32::try_from(lab::now_ms() / 1000).unwrap();
    let follower_docker = docker.clone();
    let follower = tokio::spawn(async move {
        let options = bollard::query_parameters::LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .follow(true)
            .since(since)
            .build();
        let mut stream = follower_docker.logs(&name, Some(options));
        let mut text = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        }
        text
    });
    let out = p.command(&["connect"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    eprintln!("{err}");
    assert!(err.contains("refused the password"), "{err}");
    let logs = tokio::time::timeout(Duration::from_secs(30), follower)
        .await
        .unwrap()
        .unwrap();
    let failures = logs.matches("WebAPI login failure").count();
    assert_eq!(failures, 1, "login attempts:\n{logs}");
    assert!(!logs.to_lowercase().contains("banned"), "{logs}");
    assert_nothing_left(&docker, &p, "after the password error").await;
    // With the right password back, connect works again.
    p.set_secret("qbittorrent-password", right);
    p.connect();
    p.disconnect();
}

/// One writer across processes: with a healer watching (`tvpn watch`), a
/// `tvpn connect` and a `tvpn reconcile` started at the same moment, 6
/// rounds from nothing: each round ends with one consistent, connected
/// stack (one gateway, qBittorrent inside it), and qBittorrent never saw a
/// failed login (so no ban).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn concurrent_writers_leave_one_consistent_stack() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let p = Profile::new("together").await;
    let mut watch = Watch::start(&p);
    for round in 0..6 {
        let when = format!("round {round}");
        let connect = p
            .command(&["connect"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let reconcile = p
            .command(&["reconcile"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let connected = connect.wait_with_output().unwrap();
        let reconciled = reconcile.wait_with_output().unwrap();
        assert!(
            connected.status.success(),
            "{when}: connect failed: {}",
            String::from_utf8_lossy(&connected.stderr)
        );
        assert!(
            reconciled.status.success(),
            "{when}: reconcile failed: {}",
            String::from_utf8_lossy(&reconciled.stderr)
        );
        assert!(
            assert_consistent(&docker, &p, &when).await,
            "{when}: not connected"
        );
        let gateways = docker
            .list_containers(Some(
                bollard::query_parameters::ListContainersOptionsBuilder::default()
                    .all(true)
                    .filters(&std::collections::HashMap::from([(
                        "label".to_owned(),
                        vec![
                            format!("dev.torrentvpn.profile={}", p.name),
                            "dev.torrentvpn.role=gateway".to_owned(),
                        ],
                    )]))
                    .build(),
            ))
            .await
            .unwrap();
        assert_eq!(gateways.len(), 1, "{when}: {} gateways", gateways.len());
        let log = lab::exec(
            &docker,
            &p.qbittorrent_name(),
            &["cat", "/config/qBittorrent/logs/qbittorrent.log"],
        )
        .await;
        assert!(!log.contains("WebAPI login failure"), "{when}: {log}");
        p.disconnect();
    }
    assert!(watch.alive(), "the healer died");
    drop(watch);
}

/// Renaming the project (or the profile) while its stack exists is refused
/// by connect, reconcile and disconnect, naming the field; with the old
/// name back, disconnect removes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn renaming_while_a_stack_exists_is_refused() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let p = Profile::new("rename").await;
    p.connect();
    let saved = p.settings();
    let renamed = format!("{}-renamed", p.project);
    p.edit_settings(|s| s["stack"]["project"] = renamed.clone().into());
    for command in ["connect", "reconcile", "disconnect"] {
        let out = p.tvpn(&[command]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{command} went ahead after a rename");
        assert!(err.contains("stack.project"), "{command}: {err}");
    }
    assert!(
        lab::running(&container(&docker, &p.gateway_name()).await),
        "the stack under the old name was touched"
    );
    assert!(container(&docker, &format!("{renamed}-gateway"))
        .await
        .is_none());
    p.write_settings(&saved);
    p.disconnect();
    assert_nothing_left(&docker, &p, "after the disconnect under the old name").await;
}

/// A qBittorrent left unsecured (as a crash between its start and its
/// hardening would leave it) is secured again by reconcile, read back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn reconcile_restores_the_hardening() {
    let _one = LAB.lock().await;
    let p = Profile::new("reharden").await;
    p.connect();
    let qb = qbit_client(&p).await;
    qb.set_preferences(&serde_json::json!({
        "web_ui_domain_list": "*",
        "bypass_auth_subnet_whitelist_enabled": true,
        "dht": true,
        "current_network_interface": "",
    }))
    .await
    .unwrap();
    let out = p.tvpn(&["reconcile"]);
    assert!(out.status.success());
    let prefs = qbit_client(&p).await.preferences().await.unwrap();
    assert_eq!(
        prefs.web_ui_domain_list.as_deref(),
        Some("localhost;127.0.0.1")
    );
    assert_eq!(prefs.bypass_auth_subnet_whitelist_enabled, Some(false));
    assert_eq!(prefs.dht, Some(false));
    assert_eq!(prefs.current_network_interface.as_deref(), Some("tun0"));
    p.disconnect();
}

/// A reused gateway is one made from the same settings and the same
/// secrets: a rotated key makes a new gateway, and a new downloads folder
/// a new qBittorrent (its config volume kept), on the next connect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn rotated_keys_and_a_new_downloads_folder_are_applied_on_connect() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let p = Profile::new("rotate").await;
    let first = p.connect();
    assert_eq!(p.connect()["reused_gateway"], true, "same settings: reused");
    let gw_before = container(&docker, &p.gateway_name()).await.unwrap().id;

    // A new control-server key (as after a reset of the Keychain item).
    assert!(p
        .command(&["secrets", "delete", "control-api-key"])
        .output()
        .unwrap()
        .status
        .success());
    let second = p.connect();
    assert_eq!(
        second["reused_gateway"], false,
        "a rotated key reused the gateway"
    );
    let gw_after = container(&docker, &p.gateway_name()).await.unwrap().id;
    assert_ne!(gw_before, gw_after);
    assert_ne!(first["gateway_id"], second["gateway_id"]);

    // Another downloads folder: qBittorrent is made anew with it.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        elsewhere.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let qb_before = container(&docker, &p.qbittorrent_name()).await.unwrap().id;
    p.edit_settings(|s| {
        s["stack"]["downloads_dir"] = elsewhere.path().display().to_string().into();
    });
    let third = p.connect();
    assert_eq!(third["reused_gateway"], true, "the gateway did not change");
    let qb = container(&docker, &p.qbittorrent_name()).await.unwrap();
    assert_ne!(qb.id, Some(qb_before.unwrap()), "qBittorrent was kept");
    let mounts = qb.mounts.unwrap_or_default();
    assert!(
        mounts
            .iter()
            .any(|m| m.source.as_deref() == Some(elsewhere.path().to_str().unwrap())),
        "{mounts:?}"
    );
    p.disconnect();
}

/// While the gateway is down, another program holding the control and Web
/// UI ports on this machine gets no request from the monitor: the API key
/// and the Web UI password go only to the gateway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn credentials_go_only_to_the_gateway() {
    use std::io::Read;
    let _one = LAB.lock().await;
    let p = Profile::new("impostor").await;
    p.connect();
    p.disconnect();
    let impostors: Vec<std::net::TcpListener> = [p.control_port, p.webui_port]
        .into_iter()
        .map(|port| {
            let l = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
            l.set_nonblocking(true).unwrap();
            l
        })
        .collect();
    let watch = Watch::start(&p);
    let deadline = Instant::now() + Duration::from_secs(4);
    let mut heard = Vec::new();
    while Instant::now() < deadline {
        for l in &impostors {
            if let Ok((mut stream, _)) = l.accept() {
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_millis(500)))
                    .unwrap();
                let mut buf = [0u8; 2048];
                let n = stream.read(&mut buf).unwrap_or(0);
                heard.push(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(watch);
    assert!(
        heard.is_empty(),
        "the monitor talked to an impostor: {heard:?}"
    );
}

/// The file `tvpn backup` writes in `dir`.
fn backup_file(dir: &tempfile::TempDir) -> String {
    dir.path().join("b.tar.gz").to_str().unwrap().to_owned()
}

/// While connected: a backup is made, and a restore refused.
fn backup_while_connected_and_restore_refused(p: &Profile, file: &str) {
    let out = p.tvpn(&["backup", "--out", file]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let refused = p.tvpn(&["restore", file]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("disconnect first"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

/// While disconnected: backup, then what a Docker Desktop reset does (the
/// volumes gone) and a settings change, then a dry run (nothing changes)
/// and the restore: the settings file is the one backed up again (the
/// replaced one kept), and the volumes are back for the next connect.
async fn backup_wipe_restore(docker: &Docker, p: &Profile, file: &str) {
    let t = Instant::now();
    let out = p.tvpn(&["backup", "--out", file]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "backup in {:?}: {} bytes; {}",
        t.elapsed(),
        std::fs::metadata(file).unwrap().len(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let settings = std::fs::read_to_string(p.settings_path()).unwrap();
    // No secret in it, raw or base64-encoded (the Web UI password only as
    // qBittorrent's PBKDF2 hash).
    let unpacked = std::process::Command::new("gzip")
        .arg("-dc")
        .arg(file)
        .output()
        .unwrap();
    assert!(unpacked.status.success(), "the backup is gzipped");
    let text = String::from_utf8_lossy(&unpacked.stdout);
    for (what, secret) in [
        ("the WireGuard key", p.client_key.clone()),
        ("the preshared key", p.psk.clone()),
        (
            "the Web UI password",
            p.secret(SecretKind::QbittorrentPassword).await.unwrap(),
        ),
        (
            "the control-server key",
            p.secret(SecretKind::ControlApiKey).await.unwrap(),
        ),
    ] {
        assert!(
            !lab::contains_secret(&text, &secret),
            "{what} is in the backup"
        );
    }
    assert!(
        text.contains("qBittorrent.conf"),
        "qBittorrent's config is in the backup"
    );

    let volumes = [
        format!("{}_gluetun", p.project),
        format!("{}_qbittorrent-config", p.project),
    ];
    for v in &volumes {
        docker
            .remove_volume(v, None::<bollard::query_parameters::RemoveVolumeOptions>)
            .await
            .unwrap();
    }
    p.edit_settings(|s| {
        s["monitor"]["real_ip_url"] = "http://127.0.0.1:9/changed".into();
    });
    let changed = std::fs::read_to_string(p.settings_path()).unwrap();

    let dry = p.tvpn(&["restore", "--dry-run", file]);
    let plan = String::from_utf8_lossy(&dry.stdout);
    assert!(dry.status.success(), "{plan}");
    assert!(
        plan.contains(&format!("volume {}: emptied", volumes[1])),
        "{plan}"
    );
    assert!(plan.contains("settings.toml.before-restore"), "{plan}");
    assert_eq!(std::fs::read_to_string(p.settings_path()).unwrap(), changed);
    for v in &volumes {
        assert!(
            docker.inspect_volume(v).await.is_err(),
            "the dry run made {v}"
        );
    }

    let out = p.tvpn(&["restore", file]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(p.settings_path()).unwrap(),
        settings,
        "the settings are the ones backed up"
    );
    assert_eq!(
        std::fs::read_to_string(p.dir.path().join("settings.toml.before-restore")).unwrap(),
        changed,
        "the replaced settings are kept"
    );
}
