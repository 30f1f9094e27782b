//! The gluetun and qBittorrent clients against real containers.
//!
//! Every test is `#[ignore = "needs the lab images"]`: `scripts/test` runs
//! them with `--include-ignored`, and they fail (never skip) when an image is
//! missing. Images are the locally built lab images (`scripts/lab build`);
//! nothing is pulled. Traffic goes only to 127.0.0.1 and to networks these
//! tests (or the lab) created:
//! - the gateway tests run the gluetun stand-in on a network of their own,
//!   with a made-up WireGuard peer inside that network (so its tunnel never
//!   comes up and nothing leaves the network);
//! - the qBittorrent tests add only a trackerless magnet link, with DHT, LSD
//!   and PeX off (the lab image's defaults), so qBittorrent contacts nobody;

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tvpn_testkit as common;

use std::time::Duration;

use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use tvpn_core::gluetun::{
    self, auth_config_toml, auth_config_toml_with_routes, GluetunClient, GluetunError, VpnStatus,
    VpnTarget, APP_ROUTES_BEFORE_V3_41,
};
use tvpn_core::qbittorrent::{self, AddTorrents, ApiVersion, MainDataState, QbitClient, QbitError};

use common::{Guard, Spec};

/// A made-up info-hash; with no tracker and DHT off, nobody is contacted.
const MAGNET_HASH: &str = "c9e15763f722f23e98a29decdfae341b98d53056";

fn magnet() -> String {
    format!("magnet:?xt=urn:btih:{MAGNET_HASH}&dn=tvpn-client-test")
}

fn random_wg_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

// ---------------------------------------------------------------- gateway

struct StandaloneGateway {
    // Drop order: the container, then the network, then the auth file.
    container: Guard,
    _network: Guard,
    _auth_dir: Option<tempfile::TempDir>,
    port: u16,
}

impl StandaloneGateway {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// The gluetun stand-in at `version`, on a network of its own, with
/// `auth_toml` as its control-server auth config (none when `None`).
async fn standalone_gateway(
    docker: &bollard::Docker,
    version: &str,
    auth_toml: Option<&SecretString>,
) -> StandaloneGateway {
    common::require_image(docker, common::GATEWAY).await;
    let network = common::test_network(docker).await;
    let subnet = common::network_subnet(docker, &network.name).await;
    // A peer address inside the test network that nobody holds: WireGuard's
    // handshakes go nowhere and never leave the bridge.
    let prefix: Vec<&str> = subnet
        .split('/')
        .next()
        .unwrap()
        .split('.')
        .take(3)
        .collect();
    let endpoint = format!("{}.250", prefix.join("."));

    let auth_dir = auth_toml.map(|toml| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), toml.expose_secret()).unwrap();
        dir
    });
    let binds = auth_dir
        .iter()
        .map(|d| {
            format!(
                "{}:/gluetun/auth/config.toml:ro",
                d.path().join("config.toml").display()
            )
        })
        .collect();
    let port = common::free_port();
    let container = common::start(
        docker,
        "tvpn-test-gateway",
        Spec {
            image: common::GATEWAY.to_owned(),
            env: vec![
                "VPN_SERVICE_PROVIDER=custom".to_owned(),
                "VPN_TYPE=wireguard".to_owned(),
                format!("WIREGUARD_PRIVATE_KEY={}", random_wg_key()),
                format!("WIREGUARD_PUBLIC_KEY={}", random_wg_key()),
                format!("WIREGUARD_ENDPOINT_IP={endpoint}"),
                "WIREGUARD_ENDPOINT_PORT=51820".to_owned(),
                "WIREGUARD_ADDRESSES=10.66.66.2/32".to_owned(),
                format!("LAB_GLUETUN_VERSION={version}"),
                "VPN_PORT_FORWARDING=on".to_owned(),
                // gluetun forwards for custom only through another
                // provider's code (portforward.go).
                "VPN_PORT_FORWARDING_PROVIDER=protonvpn".to_owned(),
                // No tunnel: go on to port forwarding despite the failed
                // health check, and don't look up a public IP.
                "HEALTH_RESTART_VPN=off".to_owned(),
                "PUBLICIP_ENABLED=off".to_owned(),
                "DNS_SERVER=off".to_owned(),
            ],
            ports: vec![(port, 8000)],
            network: Some(network.name.clone()),
            binds,
            gateway_privileges: true,
            ..Default::default()
        },
    )
    .await;
    StandaloneGateway {
        container,
        _network: network,
        _auth_dir: auth_dir,
        port,
    }
}

/// Wait until the control server answers `GET /v1/version`.
async fn wait_control_server(
    docker: &bollard::Docker,
    gw: &StandaloneGateway,
    client: &GluetunClient,
) -> gluetun::Version {
    common::wait_for_with_logs(
        docker,
        &gw.container,
        "the control server answering",
        Duration::from_secs(30),
        async || client.version().await.ok(),
    )
    .await
}

async fn gateway_routes_and_auth(version: &str, expected: &str) {
    let docker = common::docker().await;
    let key = gluetun::generate_api_key();
    let has_auth = version != "v3.39";
    let toml = if version == "v3.40" {
        auth_config_toml_with_routes(&key, APP_ROUTES_BEFORE_V3_41)
    } else {
        auth_config_toml(&key)
    };
    let gw = standalone_gateway(&docker, version, Some(&toml)).await;
    let client = GluetunClient::new(&gw.url(), Some(key.clone())).unwrap();
    let v = wait_control_server(&docker, &gw, &client).await;
    assert_eq!(v.version, expected);
    assert!(!v.commit.is_empty());

    // Auth: no key, a wrong key.
    let anonymous = GluetunClient::new(&gw.url(), None).unwrap();
    let wrong = GluetunClient::new(&gw.url(), Some(gluetun::generate_api_key())).unwrap();
    if has_auth {
        let err = anonymous.vpn_status().await.unwrap_err();
        assert!(
            matches!(
                err,
                GluetunError::Unauthorized {
                    key_sent: false,
                    ..
                }
            ),
            "{err:?}"
        );
        let err = wrong.vpn_status().await.unwrap_err();
        assert!(
            matches!(err, GluetunError::Unauthorized { key_sent: true, .. }),
            "{err:?}"
        );
        let err = wrong.forwarded_ports().await.unwrap_err();
        assert!(matches!(err, GluetunError::Unauthorized { .. }), "{err:?}");
    } else {
        // v3.39 has no auth at all.
        anonymous.vpn_status().await.unwrap();
    }

    let status = common::wait_for_with_logs(
        &docker,
        &gw.container,
        "VPN status running",
        Duration::from_secs(20),
        async || match client.vpn_status().await.unwrap() {
            VpnStatus::Running => Some(VpnStatus::Running),
            _ => None,
        },
    )
    .await;
    assert_eq!(status, VpnStatus::Running);

    // No public IP lookup here: gluetun's `{"public_ip":""}`.
    let ip = client.public_ip().await.unwrap();
    assert_eq!(ip.public_ip, None);

    // No tunnel, so NAT-PMP gets no answer and nothing is forwarded yet:
    // the route for this version answers with no port.
    let ports = client.forwarded_ports().await.unwrap();
    assert_eq!(ports, Vec::<u16>::new());

    let logs = common::logs(&docker, &gw.container.id).await;
    assert!(
        !logs.contains(key.expose_secret()),
        "the key is in the logs"
    );
    let new_route = logs.contains("GET /v1/portforward wrote");
    let old_route = logs.contains("200 GET /v1/openvpn/portforwarded wrote");
    match version {
        "v3.39" | "v3.40" => {
            assert!(
                old_route && !new_route,
                "v3.40-: only the old route\n{logs}"
            );
        }
        _ => {
            assert!(
                new_route && !old_route,
                "v3.41+: only the new route\n{logs}"
            );
        }
    }
}

#[tokio::test]
#[ignore = "needs the lab images"]
async fn gateway_latest_routes_and_auth() {
    gateway_routes_and_auth("latest", "latest").await;
}

#[tokio::test]
#[ignore = "needs the lab images"]
async fn gateway_v3_41_routes_and_auth() {
    gateway_routes_and_auth("v3.41", "v3.41.1").await;
}

#[tokio::test]
#[ignore = "needs the lab images"]
async fn gateway_v3_40_routes_and_auth() {
    gateway_routes_and_auth("v3.40", "v3.40.0").await;
}

#[tokio::test]
#[ignore = "needs the lab images"]
async fn gateway_v3_39_no_auth_old_port_route() {
    gateway_routes_and_auth("v3.39", "v3.39.0").await;
}

/// gluetun v3.40 does not know `GET /v1/portforward` and refuses to start
/// with a role that lists it: the app must write the shorter list for it.
#[tokio::test]
#[ignore = "needs the lab images"]
async fn gateway_v3_40_refuses_a_role_listing_the_v3_41_route() {
    let docker = common::docker().await;
    let key = gluetun::generate_api_key();
    let gw = standalone_gateway(&docker, "v3.40", Some(&auth_config_toml(&key))).await;
    let logs = common::wait_for_with_logs(
        &docker,
        &gw.container,
        "the gateway exiting on the auth config",
        Duration::from_secs(20),
        async || {
            if common::is_running(&docker, &gw.container.id).await {
                return None;
            }
            Some(common::logs(&docker, &gw.container.id).await)
        },
    )
    .await;
    assert!(
        logs.contains("route not supported by the control server: GET /v1/portforward"),
        "{logs}"
    );
    assert!(!logs.contains(key.expose_secret()));
}

#[tokio::test]
#[ignore = "needs the lab images"]
async fn gateway_stop_and_start_the_vpn() {
    let docker = common::docker().await;
    let key = gluetun::generate_api_key();
    let gw = standalone_gateway(&docker, "latest", Some(&auth_config_toml(&key))).await;
    let client = GluetunClient::new(&gw.url(), Some(key)).unwrap();
    wait_control_server(&docker, &gw, &client).await;
    common::wait_for_with_logs(
        &docker,
        &gw.container,
        "VPN status running",
        Duration::from_secs(20),
        async || (client.vpn_status().await.unwrap() == VpnStatus::Running).then_some(()),
    )
    .await;

    assert_eq!(
        client.set_vpn_status(VpnTarget::Stopped).await.unwrap(),
        "stopped"
    );
    assert_eq!(client.vpn_status().await.unwrap(), VpnStatus::Stopped);
    assert_eq!(client.public_ip().await.unwrap().public_ip, None);
    assert_eq!(client.forwarded_ports().await.unwrap(), Vec::<u16>::new());
    assert_eq!(
        client.set_vpn_status(VpnTarget::Stopped).await.unwrap(),
        "already stopped"
    );
    assert_eq!(
        client.set_vpn_status(VpnTarget::Running).await.unwrap(),
        "running"
    );
    assert_eq!(client.vpn_status().await.unwrap(), VpnStatus::Running);
    assert_eq!(
        client.set_vpn_status(VpnTarget::Running).await.unwrap(),
        "already running"
    );
}

#[tokio::test]
#[ignore = "needs the lab images"]
async fn gateway_unreachable_when_gone() {
    let client =
        GluetunClient::new(&format!("http://127.0.0.1:{}", common::free_port()), None).unwrap();
    let err = client.version().await.unwrap_err();
    assert!(matches!(err, GluetunError::Unreachable(_)), "{err:?}");
}

// ---------------------------------------------------------------- qBittorrent

struct StandaloneQbit {
    container: Guard,
    _network: Guard,
    port: u16,
}

impl StandaloneQbit {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// qBittorrent from `image`, Web UI on the same host and container port.
async fn standalone_qbit(docker: &bollard::Docker, image: &str) -> StandaloneQbit {
    common::require_image(docker, image).await;
    let network = common::test_network(docker).await;
    let port = common::free_port();
    let container = common::start(
        docker,
        "tvpn-test-qbit",
        Spec {
            image: image.to_owned(),
            env: vec![
                format!("WEBUI_PORT={port}"),
                "PUID=1000".to_owned(),
                "PGID=1000".to_owned(),
                "TZ=Etc/UTC".to_owned(),
            ],
            ports: vec![(port, port)],
            network: Some(network.name.clone()),
            ..Default::default()
        },
    )
    .await;
    StandaloneQbit {
        container,
        _network: network,
        port,
    }
}

/// Wait until the Web UI serves its page (no login attempt involved).
async fn wait_webui(docker: &bollard::Docker, qb: &StandaloneQbit) {
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let url = qb.url();
    common::wait_for_with_logs(
        docker,
        &qb.container,
        "the qBittorrent Web UI",
        Duration::from_secs(40),
        async || {
            let response = http.get(&url).send().await.ok()?;
            response.status().is_success().then_some(())
        },
    )
    .await;
}

/// The count in the last `WebAPI login failure … attempt count: N` line.
fn last_failure_count(logs: &str) -> Option<u32> {
    logs.lines()
        .filter(|l| l.contains("WebAPI login failure"))
        .filter_map(|l| l.split("attempt count: ").nth(1))
        .filter_map(|rest| rest.split(',').next())
        .filter_map(|n| n.trim().parse().ok())
        .next_back()
}

#[tokio::test]
#[ignore = "needs the lab images"]
async fn qbittorrent_5_1_temporary_password_then_own_password() {
    let docker = common::docker().await;
    let qb = standalone_qbit(&docker, common::QBIT_51).await;
    let temporary = common::wait_for_with_logs(
        &docker,
        &qb.container,
        "the temporary password in the logs",
        Duration::from_secs(40),
        async || {
            let logs = common::logs(&docker, &qb.container.id).await;
            qbittorrent::parse_temporary_password(&logs)
        },
    )
    .await;
    wait_webui(&docker, &qb).await;

    let client = QbitClient::new(&qb.url(), qbittorrent::DEFAULT_USERNAME).unwrap();
    client.login(&temporary).await.unwrap();
    let api = client.api_version().await.unwrap();
    assert!(api >= ApiVersion::new(2, 11, 0), "{api}");
    assert!(client.is_5x().await.unwrap());
    assert!(client.app_version().await.unwrap().starts_with("v5.1"));
    let prefs = client.preferences().await.unwrap();
    assert_eq!(prefs.web_ui_port, Some(u32::from(qb.port)));
    assert_eq!(prefs.dht, Some(false));

    // Our own strong password.
    let own = qbittorrent::generate_password();
    client.set_password(&own).await.unwrap();
    let fresh = QbitClient::new(&qb.url(), qbittorrent::DEFAULT_USERNAME).unwrap();
    fresh.login(&own).await.unwrap();
    assert!(fresh.transfer_info().await.is_ok());

    // A wrong password: WrongPassword after one request, and no ban.
    let other = QbitClient::new(&qb.url(), qbittorrent::DEFAULT_USERNAME).unwrap();
    let wrong = SecretString::from("definitely-not-it-42");
    let err = other.login(&wrong).await.unwrap_err();
    assert!(matches!(err, QbitError::WrongPassword { .. }), "{err:?}");
    assert!(!err.to_string().contains("definitely-not-it-42"));
    let count = common::wait_for_with_logs(
        &docker,
        &qb.container,
        "the login failure in the log",
        Duration::from_secs(10),
        async || last_failure_count(&common::logs(&docker, &qb.container.id).await),
    )
    .await;
    assert_eq!(count, 1, "exactly one failed attempt");
    // The temporary password is gone too (a second failure, still no ban).
    let err = other.login(&temporary).await.unwrap_err();
    assert!(matches!(err, QbitError::WrongPassword { .. }), "{err:?}");
    other.login(&own).await.unwrap();
    other.transfer_info().await.unwrap();
}

#[tokio::test]
#[ignore = "needs the lab images"]
async fn qbittorrent_5_1_torrents_maindata_stop_start() {
    let docker = common::docker().await;
    let qb = standalone_qbit(&docker, common::QBIT_51).await;
    let temporary = common::wait_for_with_logs(
        &docker,
        &qb.container,
        "the temporary password in the logs",
        Duration::from_secs(40),
        async || {
            qbittorrent::parse_temporary_password(&common::logs(&docker, &qb.container.id).await)
        },
    )
    .await;
    wait_webui(&docker, &qb).await;
    let client = QbitClient::new(&qb.url(), "admin").unwrap();
    client.login(&temporary).await.unwrap();

    // An empty client: a full update, then rid moves on.
    let mut state = MainDataState::new();
    let first = client.sync_maindata(0).await.unwrap();
    assert!(first.full_update);
    assert!(first.rid > 0);
    state.apply(first);
    assert_eq!(state.torrent_count(), 0);
    assert_eq!(state.active_torrents(), 0);
    let rid = state.rid();
    client.sync(&mut state).await.unwrap();
    assert!(state.rid() > rid);

    let info = client.transfer_info().await.unwrap();
    assert_eq!(info.dl_info_speed, 0);

    client
        .add_torrents(&AddTorrents {
            urls: vec![magnet()],
            save_path: Some("/downloads/tvpn-test".to_owned()),
            stopped: true,
        })
        .await
        .unwrap();
    let stopped_state = common::wait_for_with_logs(
        &docker,
        &qb.container,
        "the torrent in maindata",
        Duration::from_secs(20),
        async || {
            client.sync(&mut state).await.unwrap();
            state.torrent(MAGNET_HASH).map(|t| t.state.clone())
        },
    )
    .await;
    assert_eq!(stopped_state, "stoppedDL");
    assert_eq!(state.torrent_count(), 1);
    assert_eq!(state.active_torrents(), 0);
    assert_eq!(state.torrent(MAGNET_HASH).unwrap().name, "tvpn-client-test");

    client.start_all().await.unwrap();
    let running = wait_state(&docker, &qb.container, &client, &mut state, |s| {
        s != "stoppedDL"
    })
    .await;
    assert!(
        ["metaDL", "forcedMetaDL", "queuedDL", "stalledDL"].contains(&running.as_str()),
        "{running}"
    );
    client.stop_all().await.unwrap();
    let stopped = wait_state(&docker, &qb.container, &client, &mut state, |s| {
        s == "stoppedDL"
    })
    .await;
    assert_eq!(stopped, "stoppedDL");
    assert_eq!(state.active_torrents(), 0);

    let list = client.torrents().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].hash, MAGNET_HASH);
    assert!(qbittorrent::is_stopped_state(&list[0].state));
}

async fn wait_state(
    docker: &bollard::Docker,
    container: &Guard,
    client: &QbitClient,
    state: &mut MainDataState,
    done: impl Fn(&str) -> bool,
) -> String {
    common::wait_for_with_logs(
        docker,
        container,
        "the torrent's state to change",
        Duration::from_secs(20),
        async || {
            client.sync(state).await.unwrap();
            let s = state.torrent(MAGNET_HASH)?.state.clone();
            done(&s).then_some(s)
        },
    )
    .await
}

#[tokio::test]
#[ignore = "needs the lab images"]
async fn qbittorrent_4_5_login_and_pause_resume() {
    let docker = common::docker().await;
    let qb = standalone_qbit(&docker, common::QBIT_45).await;
    wait_webui(&docker, &qb).await;
    let client = QbitClient::new(&qb.url(), "admin").unwrap();

    // 4.5 still has the adminadmin default.
    let err = client
        .login(&SecretString::from("not-adminadmin"))
        .await
        .unwrap_err();
    assert!(matches!(err, QbitError::WrongPassword { .. }), "{err:?}");
    client
        .login(&SecretString::from("adminadmin"))
        .await
        .unwrap();
    let api = client.api_version().await.unwrap();
    assert!(api < ApiVersion::new(2, 11, 0), "{api}");
    assert!(!client.is_5x().await.unwrap());
    assert!(client.app_version().await.unwrap().starts_with("v4.5"));
    let info = client.transfer_info().await.unwrap();
    assert_eq!(info.last_external_address_v4, None, "5.1+ only");

    let mut state = MainDataState::new();
    client.sync(&mut state).await.unwrap();
    assert_eq!(state.torrent_count(), 0);

    client
        .add_torrents(&AddTorrents {
            urls: vec![magnet()],
            save_path: None,
            stopped: true,
        })
        .await
        .unwrap();
    let paused = wait_state(&docker, &qb.container, &client, &mut state, |_| true).await;
    assert_eq!(paused, "pausedDL");
    // resume/pause under their 4.x names.
    client.start_all().await.unwrap();
    let running = wait_state(&docker, &qb.container, &client, &mut state, |s| {
        s != "pausedDL"
    })
    .await;
    assert!(
        ["metaDL", "forcedMetaDL", "queuedDL", "stalledDL"].contains(&running.as_str()),
        "{running}"
    );
    client.stop_torrents(&[MAGNET_HASH]).await.unwrap();
    let paused = wait_state(&docker, &qb.container, &client, &mut state, |s| {
        s == "pausedDL"
    })
    .await;
    assert_eq!(paused, "pausedDL");

    let logs = common::logs(&docker, &qb.container.id).await;
    assert!(!logs.contains("banned"), "{logs}");
}
