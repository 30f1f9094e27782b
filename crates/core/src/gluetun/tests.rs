use std::net::IpAddr;

use secrecy::{ExposeSecret, SecretString};

use super::testserver::{closed_port, Reply, TestServer};
use super::*;

const KEY: &str = "s3cr3t-K3y-value-for-tests";

fn key() -> Option<SecretString> {
    Some(SecretString::from(KEY))
}

fn json(body: &str) -> Reply {
    Reply::new(200, format!("{body}\n")).header("Content-Type", "text/plain; charset=utf-8")
}

// ---------------------------------------------------------------- parsing

#[test]
fn version_body() {
    let v: Version = serde_json::from_str(
        r#"{"version":"latest","commit":"b119325","created":"2026-05-19T08:21:37.000Z"}"#,
    )
    .unwrap();
    assert_eq!(v.version, "latest");
    assert_eq!(v.commit, "b119325");
    assert_eq!(v.created, "2026-05-19T08:21:37.000Z");
    assert_eq!(v.release(), GluetunRelease::Latest);
}

#[test]
fn releases() {
    assert_eq!(
        GluetunRelease::parse("v3.41.1"),
        GluetunRelease::Tagged(3, 41, 1)
    );
    assert_eq!(
        GluetunRelease::parse("3.40"),
        GluetunRelease::Tagged(3, 40, 0)
    );
    assert_eq!(GluetunRelease::parse("LATEST"), GluetunRelease::Latest);
    assert_eq!(
        GluetunRelease::parse("pr-2980"),
        GluetunRelease::Other("pr-2980".to_owned())
    );
    assert!(!GluetunRelease::parse("v3.39.0").has_portforward_route());
    assert!(!GluetunRelease::parse("v3.40.3").has_portforward_route());
    assert!(GluetunRelease::parse("v3.41.0").has_portforward_route());
    assert!(GluetunRelease::parse("v4.0.0").has_portforward_route());
    assert!(GluetunRelease::Latest.has_portforward_route());
    assert!(GluetunRelease::parse("something").has_portforward_route());
}

#[test]
fn vpn_status_values() {
    for (text, status) in [
        ("starting", VpnStatus::Starting),
        ("running", VpnStatus::Running),
        ("stopping", VpnStatus::Stopping),
        ("stopped", VpnStatus::Stopped),
        ("crashed", VpnStatus::Crashed),
        ("completed", VpnStatus::Completed),
        ("dreaming", VpnStatus::Other("dreaming".to_owned())),
    ] {
        let body: StatusBody = serde_json::from_str(&format!(r#"{{"status":"{text}"}}"#)).unwrap();
        assert_eq!(body.status, status);
        assert_eq!(status.to_string(), text);
        assert_eq!(
            serde_json::to_string(&status).unwrap(),
            format!("\"{text}\"")
        );
    }
}

#[test]
fn set_status_and_outcome_bodies() {
    let body = serde_json::to_string(&SetStatusBody {
        status: VpnTarget::Stopped,
    })
    .unwrap();
    assert_eq!(body, r#"{"status":"stopped"}"#);
    let body = serde_json::to_string(&SetStatusBody {
        status: VpnTarget::Running,
    })
    .unwrap();
    assert_eq!(body, r#"{"status":"running"}"#);
    let outcome: OutcomeBody = serde_json::from_str(r#"{"outcome":"already stopped"}"#).unwrap();
    assert_eq!(outcome.outcome, "already stopped");
}

#[test]
fn public_ip_full_body() {
    let ip: PublicIp = serde_json::from_str(
        r#"{"public_ip":"58.98.64.104","region":"North Holland","country":"Netherlands",
            "city":"Amsterdam","location":"52.37,4.89","organization":"AS1234 Example",
            "postal_code":"1012","timezone":"Europe/Amsterdam","hostname":"nl1.example"}"#,
    )
    .unwrap();
    assert_eq!(
        ip.public_ip,
        Some("58.98.64.104".parse::<IpAddr>().unwrap())
    );
    assert_eq!(ip.country.as_deref(), Some("Netherlands"));
    assert_eq!(ip.region.as_deref(), Some("North Holland"));
    assert_eq!(ip.city.as_deref(), Some("Amsterdam"));
    assert_eq!(ip.hostname.as_deref(), Some("nl1.example"));
    assert_eq!(ip.organization.as_deref(), Some("AS1234 Example"));
    assert_eq!(ip.location.as_deref(), Some("52.37,4.89"));
    assert_eq!(ip.postal_code.as_deref(), Some("1012"));
    assert_eq!(ip.timezone.as_deref(), Some("Europe/Amsterdam"));
}

#[test]
fn public_ip_empty_means_no_tunnel() {
    let ip: PublicIp = serde_json::from_str(r#"{"public_ip":""}"#).unwrap();
    assert_eq!(ip, PublicIp::default());
    assert!(ip.public_ip.is_none());
    let ip: PublicIp = serde_json::from_str(r#"{"public_ip":"2001:db8::1","extra":1}"#).unwrap();
    assert_eq!(ip.public_ip, Some("2001:db8::1".parse::<IpAddr>().unwrap()));
    assert!(serde_json::from_str::<PublicIp>(r#"{"public_ip":"not-an-ip"}"#).is_err());
}

#[test]
fn port_bodies_of_every_version() {
    // v3.41+ / master
    assert_eq!(
        parse_ports(r#"{"port":41000,"ports":[41000]}"#),
        Ok(vec![41000])
    );
    assert_eq!(
        parse_ports(r#"{"port":41000,"ports":[41000,41001]}"#),
        Ok(vec![41000, 41001])
    );
    assert_eq!(parse_ports(r#"{"port":0,"ports":[]}"#), Ok(vec![]));
    // v3.40: one port, several ports, none
    assert_eq!(parse_ports(r#"{"port":12345}"#), Ok(vec![12345]));
    assert_eq!(
        parse_ports(r#"{"ports":[5914,5915]}"#),
        Ok(vec![5914, 5915])
    );
    assert_eq!(parse_ports(r#"{"port":0}"#), Ok(vec![]));
    assert_eq!(parse_ports("{}"), Ok(vec![]));
    // zeros and duplicates dropped, out-of-range refused
    assert_eq!(parse_ports(r#"{"ports":[0,7,7]}"#), Ok(vec![7]));
    assert!(parse_ports(r#"{"port":70000}"#).is_err());
    assert!(parse_ports("<a href=\"/v1/portforward\">Moved Permanently</a>.").is_err());
}

// ---------------------------------------------------------------- auth config

#[test]
fn auth_toml_has_one_role_with_exactly_the_app_routes() {
    let toml_text = auth_config_toml(&SecretString::from("abcDEF123"));
    let value: toml::Value = toml::from_str(toml_text.expose_secret()).unwrap();
    let table = value.as_table().unwrap();
    assert_eq!(table.keys().collect::<Vec<_>>(), vec!["roles"]);
    let roles = table["roles"].as_array().unwrap();
    assert_eq!(roles.len(), 1);
    let role = roles[0].as_table().unwrap();
    let mut keys: Vec<_> = role.keys().map(String::as_str).collect();
    keys.sort_unstable();
    // gluetun's decoder rejects unknown keys.
    assert_eq!(keys, vec!["apikey", "auth", "name", "routes"]);
    assert_eq!(role["name"].as_str(), Some("torrent-vpn"));
    assert_eq!(role["auth"].as_str(), Some("apikey"));
    assert_eq!(role["apikey"].as_str(), Some("abcDEF123"));
    let routes: Vec<_> = role["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(
        routes,
        vec![
            "GET /v1/version",
            "GET /v1/vpn/status",
            "PUT /v1/vpn/status",
            "GET /v1/publicip/ip",
            "GET /v1/portforward",
            "GET /v1/openvpn/portforwarded",
            "GET /v1/dns/status",
        ]
    );
    assert_eq!(routes, APP_ROUTES);
}

#[test]
fn app_routes_match_the_client_routes() {
    let client_routes: Vec<String> = [
        Route::Version,
        Route::GetVpnStatus,
        Route::PutVpnStatus,
        Route::PublicIp,
        Route::PortForward,
        Route::LegacyPortForwarded,
        Route::DnsStatus,
    ]
    .iter()
    .map(|r| r.name())
    .collect();
    assert_eq!(client_routes, APP_ROUTES);
    assert!(!APP_ROUTES_BEFORE_V3_41.contains(&"GET /v1/portforward"));
    assert_eq!(APP_ROUTES_BEFORE_V3_41.len(), APP_ROUTES.len() - 1);
    assert_eq!(
        app_routes_for(&GluetunRelease::Tagged(3, 40, 0)),
        APP_ROUTES_BEFORE_V3_41
    );
    assert_eq!(
        app_routes_for(&GluetunRelease::Tagged(3, 41, 1)),
        APP_ROUTES
    );
    assert_eq!(app_routes_for(&GluetunRelease::Latest), APP_ROUTES);
}

#[test]
fn auth_toml_escapes_the_key() {
    let nasty = "a\"b\\c\nd\te\r\u{1}f\u{7f}g é 😀 ]] [[roles]] #";
    let toml_text = auth_config_toml(&SecretString::from(nasty));
    let text = toml_text.expose_secret();
    // One line per key: the newline in the key is escaped.
    assert!(text
        .lines()
        .any(|l| l.starts_with("apikey = \"a\\\"b\\\\c\\nd\\te\\r\\u0001f\\u007Fg")));
    let value: toml::Value = toml::from_str(text).unwrap();
    let roles = value["roles"].as_array().unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0]["apikey"].as_str(), Some(nasty));
}

#[test]
fn auth_toml_is_redacted_in_debug() {
    let toml_text = auth_config_toml(&SecretString::from(KEY));
    assert!(!format!("{toml_text:?}").contains(KEY));
}

#[test]
fn generated_keys_are_base58_and_distinct() {
    let a = generate_api_key();
    let b = generate_api_key();
    assert_eq!(a.expose_secret().len(), 22);
    assert!(a
        .expose_secret()
        .chars()
        .all(|c| c.is_ascii_alphanumeric() && !"0OIl".contains(c)));
    assert_ne!(a.expose_secret(), b.expose_secret());
}

// ---------------------------------------------------------------- client

#[test]
fn bad_base_urls_are_refused() {
    assert!(matches!(
        GluetunClient::new("not a url", None),
        Err(GluetunError::InvalidUrl { .. })
    ));
    assert!(matches!(
        GluetunClient::new("ftp://127.0.0.1:8000", None),
        Err(GluetunError::InvalidUrl { .. })
    ));
    assert!(matches!(
        GluetunClient::new("http://user:pw@127.0.0.1:8000", None),
        Err(GluetunError::InvalidUrl { .. })
    ));
}

#[tokio::test]
async fn sends_the_key_and_parses_each_route() {
    let server = TestServer::start(|req| match (req.method.as_str(), req.path()) {
        ("GET", "/v1/version") => {
            json(r#"{"version":"v3.41.1","commit":"7f22fb3","created":"2026-02-11T14:13:34.000Z"}"#)
        }
        ("GET", "/v1/vpn/status") => json(r#"{"status":"running"}"#),
        ("PUT", "/v1/vpn/status") => json(r#"{"outcome":"stopped"}"#),
        ("GET", "/v1/publicip/ip") => json(r#"{"public_ip":"10.222.0.3","country":"Labland"}"#),
        ("GET", "/v1/portforward") => json(r#"{"port":41000,"ports":[41000]}"#),
        _ => Reply::new(404, "Not Found\n"),
    })
    .await;
    let client = GluetunClient::new(&server.base, key()).unwrap();
    assert_eq!(client.version().await.unwrap().version, "v3.41.1");
    assert_eq!(
        client.known_release(),
        Some(GluetunRelease::Tagged(3, 41, 1))
    );
    assert_eq!(client.vpn_status().await.unwrap(), VpnStatus::Running);
    assert_eq!(
        client.set_vpn_status(VpnTarget::Stopped).await.unwrap(),
        "stopped"
    );
    let ip = client.public_ip().await.unwrap();
    assert_eq!(ip.public_ip, Some("10.222.0.3".parse::<IpAddr>().unwrap()));
    assert_eq!(ip.country.as_deref(), Some("Labland"));
    assert_eq!(client.forwarded_ports().await.unwrap(), vec![41000]);

    let requests = server.requests();
    // The version was known: forwarded_ports asks no second time.
    assert_eq!(requests.len(), 5);
    for req in &requests {
        assert_eq!(
            req.header("x-api-key"),
            Some(KEY),
            "{} {}",
            req.method,
            req.target
        );
        assert!(!req.target.contains(KEY), "the key never goes in the URL");
    }
    let put = &requests[2];
    assert_eq!(put.method, "PUT");
    assert_eq!(put.body_text(), r#"{"status":"stopped"}"#);
    assert_eq!(put.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn no_key_header_without_a_key() {
    let server = TestServer::start(|_| json(r#"{"status":"stopped"}"#)).await;
    let client = GluetunClient::new(&server.base, None).unwrap();
    assert_eq!(client.vpn_status().await.unwrap(), VpnStatus::Stopped);
    assert_eq!(server.requests()[0].header("x-api-key"), None);
}

#[tokio::test]
async fn unauthorized_says_whether_a_key_was_sent() {
    let server = TestServer::start(|_| Reply::new(401, "Unauthorized\n")).await;

    let with_key = GluetunClient::new(&server.base, key()).unwrap();
    let err = with_key.vpn_status().await.unwrap_err();
    assert!(matches!(
        &err,
        GluetunError::Unauthorized { route, key_sent: true } if route == "GET /v1/vpn/status"
    ));
    let text = err.to_string();
    assert!(text.contains("refused the API key"), "{text}");
    assert!(
        text.contains("HTTP_CONTROL_SERVER_AUTH_CONFIG_FILEPATH"),
        "{text}"
    );
    assert!(text.contains("Keychain"), "{text}");

    let without = GluetunClient::new(&server.base, None).unwrap();
    let err = without.vpn_status().await.unwrap_err();
    assert!(matches!(
        err,
        GluetunError::Unauthorized {
            key_sent: false,
            ..
        }
    ));
    assert!(err.to_string().contains("none is configured"), "{err}");
}

#[tokio::test]
async fn forwarded_ports_falls_back_on_404_and_400() {
    for code in [404u16, 400] {
        let server = TestServer::start(move |req| match req.path() {
            "/v1/version" => json(r#"{"version":"pr-1","commit":"x","created":"y"}"#),
            "/v1/portforward" => Reply::new(code, "GET /portforward not found\n"),
            "/v1/openvpn/portforwarded" => json(r#"{"port":12345}"#),
            _ => Reply::new(500, "unexpected\n"),
        })
        .await;
        let client = GluetunClient::new(&server.base, key()).unwrap();
        assert_eq!(client.forwarded_ports().await.unwrap(), vec![12345]);
        let paths: Vec<_> = server
            .requests()
            .iter()
            .map(|r| r.path().to_owned())
            .collect();
        assert_eq!(
            paths,
            vec![
                "/v1/version",
                "/v1/portforward",
                "/v1/openvpn/portforwarded"
            ]
        );
    }
}

#[tokio::test]
async fn forwarded_ports_never_falls_back_on_401() {
    let server = TestServer::start(|req| match req.path() {
        "/v1/version" => json(r#"{"version":"v3.41.1","commit":"x","created":"y"}"#),
        "/v1/portforward" => Reply::new(401, "Unauthorized\n"),
        _ => json(r#"{"port":1}"#),
    })
    .await;
    let client = GluetunClient::new(&server.base, key()).unwrap();
    let err = client.forwarded_ports().await.unwrap_err();
    assert!(
        matches!(err, GluetunError::Unauthorized { ref route, .. } if route == "GET /v1/portforward")
    );
    assert!(server
        .requests()
        .iter()
        .all(|r| r.path() != "/v1/openvpn/portforwarded"));
}

#[tokio::test]
async fn forwarded_ports_uses_the_old_route_on_old_versions() {
    // v3.40 answers 401 to GET /v1/portforward (no role covers it): the
    // client must not ask it at all.
    let server = TestServer::start(|req| match req.path() {
        "/v1/version" => json(r#"{"version":"v3.40.0","commit":"e890c50","created":"y"}"#),
        "/v1/portforward" => Reply::new(401, "Unauthorized\n"),
        "/v1/openvpn/portforwarded" => json(r#"{"ports":[5914,5915]}"#),
        _ => Reply::new(500, "unexpected\n"),
    })
    .await;
    let client = GluetunClient::new(&server.base, key()).unwrap();
    assert_eq!(client.forwarded_ports().await.unwrap(), vec![5914, 5915]);
    // The version is asked once.
    assert_eq!(client.forwarded_ports().await.unwrap(), vec![5914, 5915]);
    let paths: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        vec![
            "/v1/version",
            "/v1/openvpn/portforwarded",
            "/v1/openvpn/portforwarded"
        ]
    );
}

#[tokio::test]
async fn a_301_from_the_old_route_means_the_new_one() {
    // The remembered version is stale (the gateway was replaced by v3.41).
    let server = TestServer::start(|req| match req.path() {
        "/v1/version" => json(r#"{"version":"v3.40.0","commit":"x","created":"y"}"#),
        "/v1/openvpn/portforwarded" => Reply::new(
            301,
            "<a href=\"/v1/portforward\">Moved Permanently</a>.\n\n",
        )
        .header("Location", "/v1/portforward"),
        "/v1/portforward" => json(r#"{"port":0,"ports":[]}"#),
        _ => Reply::new(500, "unexpected\n"),
    })
    .await;
    let client = GluetunClient::new(&server.base, key()).unwrap();
    client.version().await.unwrap();
    assert_eq!(client.forwarded_ports().await.unwrap(), Vec::<u16>::new());
    let paths: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        vec![
            "/v1/version",
            "/v1/openvpn/portforwarded",
            "/v1/portforward"
        ]
    );
    assert_eq!(client.known_release(), None);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = TestServer::start(|req| match req.path() {
        "/v1/vpn/status" => Reply::new(308, "").header("Location", "/elsewhere"),
        _ => json(r#"{"status":"running"}"#),
    })
    .await;
    let client = GluetunClient::new(&server.base, key()).unwrap();
    let err = client.vpn_status().await.unwrap_err();
    assert!(
        matches!(&err, GluetunError::Status { code: 308, body, .. } if body.contains("/elsewhere")),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn plain_text_errors_and_bad_json() {
    let server = TestServer::start(|req| match req.path() {
        "/v1/vpn/status" => Reply::new(
            400,
            "invalid status: paused: possible values are: stopped, running\n",
        ),
        _ => json("{not json"),
    })
    .await;
    let client = GluetunClient::new(&server.base, None).unwrap();
    let err = client.set_vpn_status(VpnTarget::Running).await.unwrap_err();
    assert!(matches!(
        &err,
        GluetunError::Status { code: 400, body, route }
            if body == "invalid status: paused: possible values are: stopped, running"
                && route == "PUT /v1/vpn/status"
    ));
    let err = client.public_ip().await.unwrap_err();
    assert!(matches!(err, GluetunError::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn unreachable_server() {
    let port = closed_port();
    let client = GluetunClient::new(&format!("http://127.0.0.1:{port}"), key()).unwrap();
    let err = client.vpn_status().await.unwrap_err();
    assert!(matches!(err, GluetunError::Unreachable(_)), "{err:?}");
    assert!(err.to_string().contains("GET /v1/vpn/status"), "{err}");
}

#[tokio::test]
async fn the_key_never_shows_in_debug_or_errors() {
    let server = TestServer::start(|req| match req.path() {
        "/v1/version" => Reply::new(401, "Unauthorized\n"),
        "/v1/vpn/status" => Reply::new(500, "boom\n"),
        _ => json("{bad"),
    })
    .await;
    let client = GluetunClient::new(&server.base, key()).unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains(KEY), "{debug}");
    assert!(debug.contains("[redacted]"), "{debug}");

    let closed = GluetunClient::new(&format!("http://127.0.0.1:{}", closed_port()), key()).unwrap();
    let errors = vec![
        client.version().await.unwrap_err(),
        client.vpn_status().await.unwrap_err(),
        client.public_ip().await.unwrap_err(),
        client.forwarded_ports().await.unwrap_err(),
        closed.vpn_status().await.unwrap_err(),
    ];
    for err in errors {
        for text in [err.to_string(), format!("{err:?}"), format!("{err:#?}")] {
            assert!(!text.contains(KEY), "{text}");
        }
    }
}
