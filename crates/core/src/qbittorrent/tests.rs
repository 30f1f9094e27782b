use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use super::*;
use crate::gluetun::testserver::{closed_port, Recorded, Reply, TestServer};

const PASSWORD: &str = "Tr0ub4dor&3-correct-horse";

fn password() -> SecretString {
    SecretString::from(PASSWORD)
}

/// Decode an `application/x-www-form-urlencoded` body.
fn form(req: &Recorded) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    }
    req.body_text()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn field(req: &Recorded, name: &str) -> Option<String> {
    form(req)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

// ---------------------------------------------------------------- pure parts

#[test]
fn api_versions_parse_and_compare() {
    assert_eq!(ApiVersion::parse("2.11.4"), Some(ApiVersion::new(2, 11, 4)));
    assert_eq!(
        ApiVersion::parse(" 2.8.19\n"),
        Some(ApiVersion::new(2, 8, 19))
    );
    assert_eq!(ApiVersion::parse("2.8"), Some(ApiVersion::new(2, 8, 0)));
    assert_eq!(
        ApiVersion::parse("v2.15.1"),
        Some(ApiVersion::new(2, 15, 1))
    );
    assert_eq!(ApiVersion::parse("2.x"), None);
    assert_eq!(ApiVersion::parse("2.1.1.1"), None);
    assert_eq!(ApiVersion::parse(""), None);
    // Numeric, not lexicographic: 2.8 < 2.11.
    assert!(ApiVersion::new(2, 8, 19) < ApiVersion::new(2, 11, 0));
    assert!(ApiVersion::new(2, 11, 4) > ApiVersion::new(2, 11, 2));
    assert!(ApiVersion::new(3, 0, 0) > ApiVersion::new(2, 99, 99));
    assert!(!ApiVersion::new(2, 8, 19).is_5x());
    assert!(!ApiVersion::new(2, 9, 3).is_5x());
    assert!(ApiVersion::new(2, 11, 0).is_5x());
    assert!(ApiVersion::new(2, 11, 4).is_5x());
    assert!(ApiVersion::new(2, 15, 1).is_5x());
    assert_eq!(ApiVersion::new(2, 11, 4).to_string(), "2.11.4");
}

#[test]
fn temporary_password_is_the_last_one_printed() {
    let log = "\
******** Information ********
To control qBittorrent, access the WebUI at: http://localhost:8080
The WebUI administrator username is: admin
The WebUI administrator password was not set. A temporary password is provided for this session: abcDEF12
You should set your own password in program preferences.
To control qBittorrent, access the WebUI at: http://localhost:8080
The WebUI administrator password was not set. A temporary password is provided for this session: Zx9yW8vU\r
You should set your own password in program preferences.
";
    let pw = parse_temporary_password(log).unwrap();
    assert_eq!(pw.expose_secret(), "Zx9yW8vU");
    assert_eq!(
        parse_temporary_password("… for this session: only1").map(|p| p.expose_secret().to_owned()),
        None,
        "the whole marker is required"
    );
    assert!(parse_temporary_password("nothing here").is_none());
    assert!(parse_temporary_password("").is_none());
    // A marker with nothing after it does not hide an earlier password.
    let log = "A temporary password is provided for this session: first1\n\
               A temporary password is provided for this session: \n";
    assert_eq!(
        parse_temporary_password(log).unwrap().expose_secret(),
        "first1"
    );
    // At the very end of the text.
    let log = "A temporary password is provided for this session: tail99";
    assert_eq!(
        parse_temporary_password(log).unwrap().expose_secret(),
        "tail99"
    );
}

#[test]
fn generated_passwords() {
    let a = generate_password();
    let b = generate_password();
    assert_eq!(a.expose_secret().len(), 24);
    assert!(a.expose_secret().chars().all(|c| c.is_ascii_alphanumeric()));
    assert_ne!(a.expose_secret(), b.expose_secret());
}

#[test]
fn transfer_info_of_4_5_and_5_1() {
    let t: TransferInfo = serde_json::from_str(
        r#"{"connection_status":"connected","dht_nodes":0,"dl_info_data":681521119,
            "dl_info_speed":1024,"dl_rate_limit":0,"up_info_data":10,"up_info_speed":2,
            "up_rate_limit":0}"#,
    )
    .unwrap();
    assert_eq!(t.dl_info_speed, 1024);
    assert_eq!(t.dl_info_data, 681_521_119);
    assert_eq!(t.up_info_speed, 2);
    assert_eq!(t.connection_status, ConnectionStatus::Connected);
    assert_eq!(t.last_external_address_v4, None);

    let t: TransferInfo = serde_json::from_str(
        r#"{"connection_status":"firewalled","dl_info_speed":0,"up_info_speed":0,
            "dl_info_data":0,"up_info_data":0,"last_external_address_v4":"10.222.0.3",
            "last_external_address_v6":"","free_space_on_disk":1}"#,
    )
    .unwrap();
    assert_eq!(t.connection_status, ConnectionStatus::Firewalled);
    assert_eq!(t.last_external_address_v4.as_deref(), Some("10.222.0.3"));
    assert_eq!(t.last_external_address_v6, None);

    let t: TransferInfo = serde_json::from_str(r#"{"connection_status":"weird"}"#).unwrap();
    assert_eq!(
        t.connection_status,
        ConnectionStatus::Other("weird".to_owned())
    );
}

#[test]
fn preferences_keep_the_keys_we_use() {
    let p: Preferences = serde_json::from_str(
        r#"{"listen_port":6881,"random_port":false,"upnp":false,"current_network_interface":"tun0",
            "current_interface_address":"","dht":false,"lsd":false,"pex":true,
            "web_ui_port":18080,"bypass_local_auth":false,"web_ui_ban_duration":3600,
            "web_ui_max_auth_fail_count":5,"save_path":"/downloads/","rss_rules":{"x":1}}"#,
    )
    .unwrap();
    assert_eq!(p.listen_port, Some(6881));
    assert_eq!(p.random_port, Some(false));
    assert_eq!(p.upnp, Some(false));
    assert_eq!(p.current_network_interface.as_deref(), Some("tun0"));
    assert_eq!(p.current_interface_address.as_deref(), Some(""));
    assert_eq!(p.dht, Some(false));
    assert_eq!(p.pex, Some(true));
    assert_eq!(p.web_ui_port, Some(18080));
    assert_eq!(p.bypass_local_auth, Some(false));
    assert_eq!(p.web_ui_ban_duration, Some(3600));
    assert_eq!(p.anonymous_mode, None);
}

#[test]
fn torrent_info_and_activity() {
    let list: Vec<TorrentInfo> = serde_json::from_str(
        r#"[{"hash":"aa","name":"A","state":"stalledDL","progress":0.5,"dlspeed":0,"upspeed":0,"eta":1},
            {"hash":"bb","name":"B","state":"stalledUP","progress":1,"dlspeed":0,"upspeed":7},
            {"hash":"cc","name":"C","state":"metaDL","progress":0,"dlspeed":0,"upspeed":0},
            {"hash":"dd","name":"D","state":"pausedDL","progress":0,"dlspeed":0,"upspeed":0}]"#,
    )
    .unwrap();
    let active: Vec<_> = list
        .iter()
        .filter(|t| t.is_active())
        .map(|t| t.hash.as_str())
        .collect();
    assert_eq!(active, vec!["bb", "cc"]);
    assert_eq!(list[1].progress, 1.0);
    assert!(is_stopped_state("pausedDL") && is_stopped_state("stoppedUP"));
    assert!(!is_stopped_state("stalledUP"));
}

#[test]
fn maindata_full_then_partial_then_removal() {
    let mut state = MainDataState::new();
    assert_eq!(state.rid(), 0);

    let full: MainData = serde_json::from_str(
        r#"{"rid":1,"full_update":true,
            "torrents":{
              "aaa":{"name":"Alpha","state":"downloading","progress":0.25,"dlspeed":1000,"upspeed":0,"eta":99,"tags":""},
              "bbb":{"name":"Beta","state":"stalledUP","progress":1.0,"dlspeed":0,"upspeed":0}
            },
            "categories":{"movies":{"name":"movies","savePath":""}},
            "tags":[],"trackers":{"http://t/announce":["aaa"]},
            "server_state":{"dl_info_speed":1000,"up_info_speed":0,"dl_info_data":5,"up_info_data":6,
              "connection_status":"firewalled","dht_nodes":0,"last_external_address_v4":"10.222.0.3",
              "alltime_dl":1,"global_ratio":"0.00"}}"#,
    )
    .unwrap();
    state.apply(full);
    assert_eq!(state.rid(), 1);
    assert_eq!(state.torrent_count(), 2);
    assert_eq!(state.active_torrents(), 1);
    assert_eq!(state.download_speed(), 1000);
    assert_eq!(state.upload_speed(), 0);
    assert_eq!(state.connection_status(), &ConnectionStatus::Firewalled);
    assert_eq!(state.last_external_address_v4(), Some("10.222.0.3"));

    // Partial: only changed fields; Beta starts uploading; a new torrent.
    let partial: MainData = serde_json::from_str(
        r#"{"rid":2,
            "torrents":{"aaa":{"progress":0.5},"bbb":{"upspeed":300,"state":"uploading"},
                        "ccc":{"name":"Gamma","state":"metaDL","progress":0,"dlspeed":0,"upspeed":0}},
            "server_state":{"up_info_speed":300,"connection_status":"connected"}}"#,
    )
    .unwrap();
    state.apply(partial);
    assert_eq!(state.rid(), 2);
    let alpha = state.torrent("aaa").unwrap();
    assert_eq!(alpha.name, "Alpha");
    assert_eq!(alpha.state, "downloading");
    assert_eq!(alpha.progress, 0.5);
    assert_eq!(alpha.dlspeed, 1000);
    assert_eq!(state.torrent("bbb").unwrap().state, "uploading");
    assert_eq!(state.torrent_count(), 3);
    assert_eq!(state.active_torrents(), 3);
    assert_eq!(state.download_speed(), 1000, "unchanged fields stay");
    assert_eq!(state.upload_speed(), 300);
    assert_eq!(state.connection_status(), &ConnectionStatus::Connected);
    assert_eq!(state.last_external_address_v4(), Some("10.222.0.3"));

    // Removal, and the external address cleared.
    let removal: MainData = serde_json::from_str(
        r#"{"rid":3,"torrents_removed":["aaa"],
            "torrents":{"bbb":{"upspeed":0,"state":"stalledUP"}},
            "server_state":{"dl_info_speed":0,"last_external_address_v4":""}}"#,
    )
    .unwrap();
    state.apply(removal);
    assert_eq!(state.torrent_count(), 2);
    assert!(state.torrent("aaa").is_none());
    assert_eq!(state.active_torrents(), 1, "only Gamma (metaDL)");
    assert_eq!(state.download_speed(), 0);
    assert_eq!(state.last_external_address_v4(), None);
    let mut names: Vec<_> = state.torrents().map(|(_, t)| t.name.clone()).collect();
    names.sort();
    assert_eq!(names, vec!["Beta", "Gamma"]);

    // A new full update (e.g. qBittorrent restarted) replaces everything.
    let full: MainData = serde_json::from_str(
        r#"{"rid":1,"full_update":true,"torrents":{"zzz":{"name":"Zeta","state":"stoppedDL"}},
            "server_state":{"connection_status":"disconnected"}}"#,
    )
    .unwrap();
    state.apply(full);
    assert_eq!(state.rid(), 1);
    assert_eq!(state.torrent_count(), 1);
    assert_eq!(state.active_torrents(), 0);
    assert_eq!(state.upload_speed(), 0);
    assert_eq!(state.connection_status(), &ConnectionStatus::Disconnected);
}

#[test]
fn empty_maindata() {
    let data: MainData =
        serde_json::from_str(r#"{"rid":7,"server_state":{"dl_info_speed":0}}"#).unwrap();
    let mut state = MainDataState::new();
    state.apply(data);
    assert_eq!(state.rid(), 7);
    assert_eq!(state.torrent_count(), 0);
    state.reset();
    assert_eq!(state.rid(), 0);
}

// ---------------------------------------------------------------- client

/// A qBittorrent stand-in: `admin` / [`PASSWORD`], session cookie `cookie`,
/// Web API `api`.
async fn fake_qbit(cookie: &'static str, api: &'static str, login_style_52: bool) -> TestServer {
    TestServer::start(move |req| {
        let logged_in = req
            .header("cookie")
            .is_some_and(|c| c.contains(&format!("{cookie}=sess1")));
        match (req.method.as_str(), req.path()) {
            ("POST", "/api/v2/auth/login") => {
                let ok = field(req, "username").as_deref() == Some("admin")
                    && field(req, "password").as_deref() == Some(PASSWORD);
                match (ok, login_style_52) {
                    (true, false) => Reply::new(200, "Ok.")
                        .header("Set-Cookie", &format!("{cookie}=sess1; HttpOnly; path=/")),
                    (true, true) => Reply::new(204, "").header(
                        "Set-Cookie",
                        &format!("{cookie}=sess1; HttpOnly; SameSite=Lax; path=/"),
                    ),
                    (false, false) => Reply::new(200, "Fails."),
                    (false, true) => Reply::new(401, ""),
                }
            }
            _ if !logged_in => Reply::new(403, "Forbidden"),
            ("GET", "/api/v2/app/webapiVersion") => Reply::new(200, api),
            ("GET", "/api/v2/app/version") => Reply::new(200, "v5.1.0"),
            ("POST", "/api/v2/torrents/stop" | "/api/v2/torrents/start")
                if api.starts_with("2.11") =>
            {
                Reply::new(200, "")
            }
            ("POST", "/api/v2/torrents/pause" | "/api/v2/torrents/resume")
                if api.starts_with("2.8") =>
            {
                Reply::new(200, "")
            }
            ("POST", "/api/v2/app/setPreferences") => Reply::new(200, ""),
            ("POST", "/api/v2/torrents/add") => Reply::new(200, "Ok."),
            ("GET", "/api/v2/sync/maindata") => Reply::new(
                200,
                r#"{"rid":1,"full_update":true,"server_state":{"connection_status":"connected"}}"#,
            ),
            _ => Reply::new(404, "Not Found"),
        }
    })
    .await
}

#[tokio::test]
async fn login_keeps_the_sid_cookie_and_sends_no_origin_or_referer() {
    let server = fake_qbit("SID", "2.11.4", false).await;
    let client = QbitClient::new(&server.base, "admin").unwrap();
    // Not logged in yet.
    let err = client.app_version().await.unwrap_err();
    assert!(matches!(err, QbitError::NotLoggedIn { .. }), "{err:?}");
    client.login(&password()).await.unwrap();
    assert_eq!(client.app_version().await.unwrap(), "v5.1.0");
    assert_eq!(
        client.api_version().await.unwrap(),
        ApiVersion::new(2, 11, 4)
    );
    for req in server.requests() {
        assert_eq!(req.header("origin"), None);
        assert_eq!(req.header("referer"), None);
        assert_eq!(
            req.header("host"),
            Some(format!("127.0.0.1:{}", server.port).as_str())
        );
    }
    let login = &server.requests()[1];
    assert_eq!(field(login, "username").as_deref(), Some("admin"));
    assert_eq!(
        login.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
}

#[tokio::test]
async fn login_5_2_style_with_port_cookie() {
    let server = fake_qbit("QBT_SID_18080", "2.15.1", true).await;
    let client = QbitClient::new(&server.base, "admin").unwrap();
    client.login(&password()).await.unwrap();
    assert_eq!(
        client.api_version().await.unwrap(),
        ApiVersion::new(2, 15, 1)
    );

    let err = client
        .login(&SecretString::from("wrong-one"))
        .await
        .unwrap_err();
    assert!(matches!(err, QbitError::WrongPassword { .. }), "{err:?}");
}

#[tokio::test]
async fn a_wrong_password_is_one_request_and_never_retried() {
    let server = fake_qbit("SID", "2.11.4", false).await;
    let client = QbitClient::new(&server.base, "admin").unwrap();
    let wrong = SecretString::from("not-the-password-XYZ");
    let err = client.login(&wrong).await.unwrap_err();
    assert!(matches!(&err, QbitError::WrongPassword { username } if username == "admin"));
    assert_eq!(server.requests().len(), 1);
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains("not-the-password-XYZ"), "{text}");
    }
}

#[tokio::test]
async fn banned_is_reported_as_such() {
    let server = TestServer::start(|_| {
        Reply::new(
            403,
            "Your IP address has been banned after too many failed authentication attempts.",
        )
    })
    .await;
    let client = QbitClient::new(&server.base, "admin").unwrap();
    let err = client.login(&password()).await.unwrap_err();
    assert!(matches!(err, QbitError::Banned));
    let text = err.to_string();
    assert!(text.contains("banned this address"), "{text}");
    assert!(
        text.contains("web_ui_ban_duration (1 h by default)"),
        "{text}"
    );
    // On any other call too.
    let err = client.torrents().await.unwrap_err();
    assert!(matches!(err, QbitError::Banned), "{err:?}");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_401_on_an_api_call_points_at_host_header_and_csrf() {
    let server = TestServer::start(|_| Reply::new(401, "Unauthorized")).await;
    let client = QbitClient::new(&server.base, "admin").unwrap();
    let err = client.transfer_info().await.unwrap_err();
    assert!(matches!(err, QbitError::Rejected { .. }), "{err:?}");
    assert!(
        err.to_string().contains("same host and container port"),
        "{err}"
    );
}

#[tokio::test]
async fn stop_and_start_by_api_version() {
    for (api, stop, start) in [
        (
            "2.8.19",
            "/api/v2/torrents/pause",
            "/api/v2/torrents/resume",
        ),
        ("2.11.4", "/api/v2/torrents/stop", "/api/v2/torrents/start"),
    ] {
        let server = fake_qbit("SID", api, false).await;
        let client = QbitClient::new(&server.base, "admin").unwrap();
        client.login(&password()).await.unwrap();
        assert_eq!(client.is_5x().await.unwrap(), api.starts_with("2.11"));
        client.stop_all().await.unwrap();
        client.start_all().await.unwrap();
        client.stop_torrents(&["aa", "bb"]).await.unwrap();
        client.start_torrents(&[]).await.unwrap();
        let requests = server.requests();
        let posts: Vec<_> = requests
            .iter()
            .filter(|r| r.path().starts_with("/api/v2/torrents/"))
            .collect();
        assert_eq!(posts.len(), 3);
        assert_eq!(posts[0].path(), stop);
        assert_eq!(field(posts[0], "hashes").as_deref(), Some("all"));
        assert_eq!(posts[1].path(), start);
        assert_eq!(field(posts[2], "hashes").as_deref(), Some("aa|bb"));
        // The version was asked once.
        assert_eq!(
            requests
                .iter()
                .filter(|r| r.path() == "/api/v2/app/webapiVersion")
                .count(),
            1
        );
    }
}

#[tokio::test]
async fn a_replaced_qbittorrent_gets_the_other_method_name() {
    // The client remembered 2.8 (pause), the server is now 5.x.
    let version_calls = Arc::new(AtomicU32::new(0));
    let calls = version_calls.clone();
    let server = TestServer::start(move |req| match req.path() {
        "/api/v2/app/webapiVersion" => {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            Reply::new(200, if n == 0 { "2.8.19" } else { "2.11.4" })
        }
        "/api/v2/torrents/stop" => Reply::new(200, ""),
        _ => Reply::new(404, "Not Found"),
    })
    .await;
    let client = QbitClient::new(&server.base, "admin").unwrap();
    assert!(!client.is_5x().await.unwrap());
    client.stop_all().await.unwrap();
    let paths: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        vec![
            "/api/v2/app/webapiVersion",
            "/api/v2/torrents/pause",
            "/api/v2/app/webapiVersion",
            "/api/v2/torrents/stop"
        ]
    );
}

#[tokio::test]
async fn preferences_and_password_go_as_json_form_fields() {
    let server = fake_qbit("SID", "2.11.4", false).await;
    let client = QbitClient::new(&server.base, "admin").unwrap();
    client.login(&password()).await.unwrap();
    client
        .set_preferences(
            &serde_json::json!({"listen_port": 41000, "current_network_interface": "tun0"}),
        )
        .await
        .unwrap();
    let new_password = SecretString::from("n3w\"pass\\word");
    client.set_password(&new_password).await.unwrap();

    let err = client
        .set_preferences(&serde_json::json!([1, 2]))
        .await
        .unwrap_err();
    assert!(matches!(err, QbitError::InvalidArgument(_)));
    let err = client
        .set_password(&SecretString::from("short"))
        .await
        .unwrap_err();
    assert!(matches!(err, QbitError::InvalidArgument(_)));
    assert!(!err.to_string().contains("short"));

    let sets: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/api/v2/app/setPreferences")
        .collect();
    assert_eq!(sets.len(), 2);
    let prefs: serde_json::Value = serde_json::from_str(&field(&sets[0], "json").unwrap()).unwrap();
    assert_eq!(
        prefs,
        serde_json::json!({"listen_port": 41000, "current_network_interface": "tun0"})
    );
    let prefs: serde_json::Value = serde_json::from_str(&field(&sets[1], "json").unwrap()).unwrap();
    assert_eq!(
        prefs,
        serde_json::json!({"web_ui_password": "n3w\"pass\\word"})
    );
}

#[tokio::test]
async fn add_torrents_is_multipart() {
    let server = fake_qbit("SID", "2.11.4", false).await;
    let client = QbitClient::new(&server.base, "admin").unwrap();
    client.login(&password()).await.unwrap();
    client
        .add_torrent_url(
            "http://10.222.0.20:8081/lab-small.torrent",
            Some("/downloads/x"),
        )
        .await
        .unwrap();
    client
        .add_torrents(&AddTorrents {
            urls: vec!["magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567".to_owned()],
            save_path: None,
            stopped: true,
        })
        .await
        .unwrap();
    assert!(matches!(
        client.add_torrents(&AddTorrents::default()).await,
        Err(QbitError::InvalidArgument(_))
    ));
    let adds: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/api/v2/torrents/add")
        .collect();
    assert_eq!(adds.len(), 2);
    assert!(adds[0]
        .header("content-type")
        .unwrap()
        .starts_with("multipart/form-data"));
    let body = adds[0].body_text();
    assert!(body.contains("name=\"urls\"\r\n\r\nhttp://10.222.0.20:8081/lab-small.torrent"));
    assert!(body.contains("name=\"savepath\"\r\n\r\n/downloads/x"));
    assert!(!body.contains("name=\"stopped\""));
    let body = adds[1].body_text();
    assert!(body.contains("name=\"stopped\"\r\n\r\ntrue"));
    assert!(body.contains("name=\"paused\"\r\n\r\ntrue"));
}

#[tokio::test]
async fn add_failures() {
    let server = TestServer::start(|_| Reply::new(200, "Fails.")).await;
    let client = QbitClient::new(&server.base, "admin").unwrap();
    let err = client
        .add_torrent_url("http://x/y.torrent", None)
        .await
        .unwrap_err();
    assert!(matches!(err, QbitError::AddFailed(_)), "{err:?}");
    let server = TestServer::start(|_| Reply::new(415, "Torrent file is not valid.")).await;
    let client = QbitClient::new(&server.base, "admin").unwrap();
    let err = client
        .add_torrent_url("http://x/y.torrent", None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, QbitError::AddFailed(ref m) if m.contains("not valid")),
        "{err:?}"
    );
}

#[tokio::test]
async fn sync_passes_the_rid_back() {
    let server = TestServer::start(|req| {
        let rid = req.target.split("rid=").nth(1).unwrap_or("?").to_owned();
        if rid == "0" {
            Reply::new(
                200,
                r#"{"rid":5,"full_update":true,"torrents":{},"server_state":{"dl_info_speed":3}}"#,
            )
        } else {
            Reply::new(200, r#"{"rid":6,"server_state":{"dl_info_speed":4}}"#)
        }
    })
    .await;
    let client = QbitClient::new(&server.base, "admin").unwrap();
    let mut state = MainDataState::new();
    client.sync(&mut state).await.unwrap();
    assert_eq!((state.rid(), state.download_speed()), (5, 3));
    client.sync(&mut state).await.unwrap();
    assert_eq!((state.rid(), state.download_speed()), (6, 4));
    let targets: Vec<_> = server.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(
        targets,
        vec!["/api/v2/sync/maindata?rid=0", "/api/v2/sync/maindata?rid=5"]
    );
}

#[tokio::test]
async fn passwords_never_show_in_errors_or_debug() {
    // A server that (absurdly) echoes the request body in its errors.
    let server = TestServer::start(|req| Reply::new(500, req.body_text())).await;
    let client = QbitClient::new(&server.base, "admin").unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains(PASSWORD));
    let pw = password();
    let errors = vec![
        client.login(&pw).await.unwrap_err(),
        client.set_password(&pw).await.unwrap_err(),
    ];
    let closed = QbitClient::new(&format!("http://127.0.0.1:{}", closed_port()), "admin").unwrap();
    let mut errors = errors;
    errors.push(closed.login(&pw).await.unwrap_err());
    for err in errors {
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains(PASSWORD), "{text}");
            assert!(!text.contains("correct-horse"), "{text}");
        }
    }
    // The secret itself redacts.
    assert!(!format!("{pw:?}").contains(PASSWORD));
}

#[test]
fn bad_base_urls_are_refused() {
    assert!(matches!(
        QbitClient::new("127.0.0.1:8080", "admin"),
        Err(QbitError::InvalidUrl { .. })
    ));
    assert!(QbitClient::new("http://127.0.0.1:18080", "admin").is_ok());
}

#[test]
fn log_tails_in_errors_do_not_repeat_the_temporary_password() {
    let line = "The WebUI administrator password was not set. A temporary password is provided for this session: pqeGMUBva";
    let shown = super::redact_temporary_password(line);
    assert!(!shown.contains("pqeGMUBva"), "{shown}");
    assert!(shown.ends_with("session: [redacted]"), "{shown}");
    assert_eq!(super::redact_temporary_password("other line"), "other line");
}
