use super::*;
use crate::settings::Settings;

const PUBKEY: &str = "rBvyUqvwcMNCeRlQb4Kb8Y0VUbrXd6xH0gC0Bo2r5nM=";

fn settings() -> Settings {
    let mut s = Settings::new_custom_wireguard();
    s.vpn.wireguard.endpoint = Some("185.65.134.1:51820".parse().unwrap());
    s.vpn.wireguard.public_key = Some(PUBKEY.into());
    s.vpn.wireguard.addresses = vec!["10.64.0.2/32".parse().unwrap()];
    s.stack.lan_subnets = vec!["192.168.1.0/24".parse().unwrap()];
    s.stack.downloads_dir = "/Users/me/Downloads/Torrents".into();
    s.validate().unwrap();
    s
}

fn secret(v: &str) -> SecretString {
    SecretString::from(v.to_owned())
}

#[test]
fn gateway_has_every_security_setting() {
    let s = settings();
    let names = StackNames::new(&s);
    let b = gateway_body(&s, &names);
    let hc = b.host_config.as_ref().unwrap();
    assert_eq!(hc.cap_add.as_deref(), Some(&["NET_ADMIN".to_owned()][..]));
    assert_eq!(
        hc.security_opt.as_deref(),
        Some(&["no-new-privileges:true".to_owned()][..])
    );
    assert!(hc.privileged.is_none() || hc.privileged == Some(false));
    assert_eq!(
        hc.devices.as_ref().unwrap()[0].path_on_host.as_deref(),
        Some("/dev/net/tun")
    );
    let sysctls = hc.sysctls.as_ref().unwrap();
    assert_eq!(sysctls["net.ipv6.conf.all.disable_ipv6"], "1");
    assert_eq!(sysctls["net.ipv6.conf.default.disable_ipv6"], "1");
    assert_eq!(
        hc.restart_policy.as_ref().unwrap().name,
        Some(RestartPolicyNameEnum::UNLESS_STOPPED)
    );
    let ports = hc.port_bindings.as_ref().unwrap();
    assert_eq!(
        ports.len(),
        2,
        "only the Web UI and the control server are published"
    );
    let webui = ports["8080/tcp"].as_ref().unwrap();
    assert_eq!(
        (webui[0].host_ip.as_deref(), webui[0].host_port.as_deref()),
        (Some("127.0.0.1"), Some("8080"))
    );
    let control = ports["8000/tcp"].as_ref().unwrap();
    assert_eq!(
        (
            control[0].host_ip.as_deref(),
            control[0].host_port.as_deref()
        ),
        (Some("127.0.0.1"), Some("8000"))
    );
    assert_eq!(
        hc.mounts.as_ref().unwrap()[0].target.as_deref(),
        Some("/gluetun")
    );
    assert!(b
        .healthcheck
        .as_ref()
        .unwrap()
        .test
        .as_ref()
        .unwrap()
        .contains(&"healthcheck".to_owned()));
    let env = b.env.as_ref().unwrap();
    assert!(env.contains(&"FIREWALL_OUTBOUND_SUBNETS=192.168.1.0/24".to_owned()));
    assert!(env.contains(&"DNS_UPSTREAM_RESOLVER_TYPE=dot".to_owned()));
    assert!(env.contains(&"DNS_SERVER=on".to_owned()));
    assert!(env.contains(&format!(
        "HTTP_CONTROL_SERVER_AUTH_CONFIG_FILEPATH={AUTH_CONFIG_PATH}"
    )));
    assert!(env.contains(&"WIREGUARD_ENDPOINT_IP=185.65.134.1".to_owned()));
    let labels = b.labels.as_ref().unwrap();
    assert_eq!(labels[labels::COMPOSE_PROJECT], "torrent-vpn");
    assert_eq!(labels[labels::COMPOSE_SERVICE], "gateway");
    assert_eq!(labels[labels::COMPOSE_ONEOFF], "False");
    assert_eq!(labels[labels::ROLE], "gateway");
}

#[test]
fn lan_exposure_moves_only_the_web_ui() {
    let mut s = settings();
    s.stack.bind_address = "0.0.0.0".parse().unwrap();
    let b = gateway_body(&s, &StackNames::new(&s));
    let ports = b.host_config.unwrap().port_bindings.unwrap();
    assert_eq!(
        ports["8080/tcp"].as_ref().unwrap()[0].host_ip.as_deref(),
        Some("0.0.0.0")
    );
    assert_eq!(
        ports["8000/tcp"].as_ref().unwrap()[0].host_ip.as_deref(),
        Some("127.0.0.1")
    );
}

#[test]
fn qbittorrent_lives_in_the_gateway_namespace_with_no_ports() {
    let s = settings();
    let names = StackNames::new(&s);
    let b = qbittorrent_body(&s, &names, "abc123");
    let hc = b.host_config.as_ref().unwrap();
    assert_eq!(hc.network_mode.as_deref(), Some("container:abc123"));
    assert!(hc.port_bindings.is_none() && b.exposed_ports.is_none());
    assert_eq!(
        hc.security_opt.as_deref(),
        Some(&["no-new-privileges:true".to_owned()][..])
    );
    assert!(hc.cap_add.is_none(), "no capability added to qBittorrent");
    assert_eq!(
        hc.restart_policy.as_ref().unwrap().name,
        Some(RestartPolicyNameEnum::NO)
    );
    let env = b.env.as_ref().unwrap();
    assert!(env.contains(&"WEBUI_PORT=8080".to_owned()));
    assert!(!env.iter().any(|e| e.starts_with("TORRENTING_PORT")));
    let mounts = hc.mounts.as_ref().unwrap();
    assert_eq!(
        mounts[0].source.as_deref(),
        Some("torrent-vpn_qbittorrent-config")
    );
    assert_eq!(
        mounts[1].source.as_deref(),
        Some("/Users/me/Downloads/Torrents")
    );
    assert_eq!(mounts[1].typ, Some(MountType::BIND));
    assert_eq!(
        b.labels.as_ref().unwrap()[labels::COMPOSE_SERVICE],
        "qbittorrent"
    );
}

#[test]
fn extra_gateway_env_overrides_defaults() {
    let mut s = settings();
    s.stack
        .gateway_env
        .insert("DNS_UPSTREAM_RESOLVER_TYPE".into(), "plain".into());
    let env = gateway_env(&s);
    assert!(env.contains(&"DNS_UPSTREAM_RESOLVER_TYPE=plain".to_owned()));
    assert!(!env.contains(&"DNS_UPSTREAM_RESOLVER_TYPE=dot".to_owned()));
}

#[test]
fn the_spec_hash_is_stable_and_follows_settings() {
    let s = settings();
    let names = StackNames::new(&s);
    let h = |b: &ContainerCreateBody| b.labels.as_ref().unwrap()[labels::SPEC_HASH].clone();
    assert_eq!(h(&gateway_body(&s, &names)), h(&gateway_body(&s, &names)));
    let mut other = s.clone();
    other.stack.webui_port = 9090;
    assert_ne!(
        h(&gateway_body(&s, &names)),
        h(&gateway_body(&other, &names))
    );
}

#[test]
fn no_secret_reaches_the_container_definition() {
    let s = settings();
    let names = StackNames::new(&s);
    let private = "cGxhY2Vob2xkZXItcHJpdmF0ZS1rZXktMzItYnl0ZXM=";
    let secrets = GatewaySecrets {
        vpn: vec![
            (SecretKind::WireguardPrivateKey, secret(private)),
            (
                SecretKind::WireguardPresharedKey,
                secret("psk-value-for-test"),
            ),
            // Not read by a WireGuard gateway: not delivered.
            (
                SecretKind::OpenvpnPassword,
                secret("openvpn-password-value"),
            ),
        ],
        control_api_key: secret("api-key-value-for-test"),
    };
    let files = secret_files(&s, &secrets, secret("auth-config"));
    let body = serde_json::to_string(&gateway_body(&s, &names)).unwrap();
    for (_, v) in &files {
        assert!(
            !body.contains(v.expose_secret()),
            "a secret is in the container definition"
        );
    }
    let paths: Vec<_> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            AUTH_CONFIG_PATH,
            "/run/secrets/wireguard_private_key",
            "/run/secrets/wireguard_preshared_key"
        ]
    );
}

#[test]
fn the_secrets_tar_holds_root_only_files() {
    let files = vec![
        (
            "/run/secrets/gluetun_auth.toml".to_owned(),
            secret("[[roles]]"),
        ),
        (
            "/run/secrets/wireguard_private_key".to_owned(),
            secret("KEY"),
        ),
    ];
    let bytes = secrets_tar(&files).unwrap();
    let mut archive = tar::Archive::new(&bytes[..]);
    let mut seen = Vec::new();
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().to_string_lossy().into_owned();
        let mode = e.header().mode().unwrap();
        let mut content = String::new();
        std::io::Read::read_to_string(&mut e, &mut content).unwrap();
        seen.push((path, mode, content));
    }
    assert_eq!(seen[0], ("run/".to_owned(), 0o755, String::new()));
    assert_eq!(seen[1], ("run/secrets/".to_owned(), 0o700, String::new()));
    assert_eq!(
        seen[2],
        (
            "run/secrets/gluetun_auth.toml".to_owned(),
            0o400,
            "[[roles]]".to_owned()
        )
    );
    assert_eq!(
        seen[3],
        (
            "run/secrets/wireguard_private_key".to_owned(),
            0o400,
            "KEY".to_owned()
        )
    );
}
