//! qBittorrent, once it runs inside a tunnelled gateway: log in (setting a
//! generated password the first time), then bind it to the tunnel and apply
//! the peer-discovery settings and the forwarded port, read back to be sure.

use std::time::{Duration, Instant};

use bollard::Docker;
use secrecy::SecretString;
use serde::Serialize;

use super::engine::{self, Inspected};
use super::error::StackError;
use super::spec::VPN_INTERFACE;
use crate::gluetun::GluetunClient;
use crate::qbittorrent::{self, conf, QbitClient, QbitError};
use crate::secrets::{SecretKind, Secrets};
use crate::settings::Settings;

/// Where the linuxserver image (and the lab's) keeps qBittorrent's config.
pub const QBITTORRENT_CONF: &str = conf::CONF_PATH;
/// qBittorrent ≤ 4.6.0's Web UI password when none was set.
const LEGACY_DEFAULT_PASSWORD: &str = "adminadmin";
/// How long a temporary password may take to reach the log once the Web UI
/// answers (it is printed as the Web UI starts; a busy machine delays it).
const TEMP_PASSWORD_WAIT: Duration = Duration::from_secs(30);
/// How long to wait for a forwarded port after the tunnel is up.
const FORWARDED_PORT_WAIT: Duration = Duration::from_secs(10);

/// What hardening did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hardened {
    /// qBittorrent's Web API version, e.g. `2.11.4`.
    pub web_api: String,
    /// True when this run replaced a temporary or default password with the
    /// app's generated one.
    pub password_initialized: bool,
    pub listen_port: Option<u16>,
}

/// The Web UI address on this machine.
pub fn webui_url(settings: &Settings) -> String {
    let address = settings.stack.bind_address;
    let host = if address.is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        address.to_string()
    };
    format!("http://{host}:{}", settings.stack.webui_port)
}

/// Wait until the Web UI answers, failing early when the container stops.
pub async fn wait_webui(
    docker: &Docker,
    qb: &QbitClient,
    service: &Inspected,
    timeout: Duration,
) -> Result<(), StackError> {
    let deadline = Instant::now() + timeout;
    let mut checked = Instant::now();
    loop {
        match qb.probe().await {
            Ok(()) => return Ok(()),
            Err(QbitError::Unreachable(_)) => {}
            Err(e) => return Err(e.into()),
        }
        if checked.elapsed() >= Duration::from_secs(1) {
            checked = Instant::now();
            let Some(now) = engine::inspect(docker, &service.id)
                .await?
                .filter(|s| s.running)
            else {
                return Err(StackError::WebUiTimeout {
                    seconds: 0,
                    logs: engine::log_tail(docker, &service.id, 20).await,
                });
            };
            // The gateway restarted or was replaced meanwhile: this
            // qBittorrent is in a namespace no port reaches any more. Give
            // up now, so that the next reconcile (waiting for the lock)
            // puts it into the new one.
            let gateway = match now.joined() {
                Some(id) => engine::inspect(docker, id).await?,
                None => None,
            };
            if !gateway.is_some_and(|g| g.running && now.in_namespace_of(&g)) {
                return Err(StackError::TunnelLost(
                    "the gateway restarted while qBittorrent was starting",
                ));
            }
        }
        if Instant::now() >= deadline {
            return Err(StackError::WebUiTimeout {
                seconds: timeout.as_secs(),
                logs: engine::log_tail(docker, &service.id, 20).await,
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The names the Web UI answers to (qBittorrent's Host-header check):
/// `localhost` and `127.0.0.1`, plus the address it is published on when
/// the user opened it to the LAN on one address.
pub fn server_domains(settings: &Settings) -> Vec<String> {
    let mut domains = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let bind = settings.stack.bind_address;
    if !bind.is_loopback() && !bind.is_unspecified() {
        domains.push(bind.to_string());
    }
    domains
}

/// What writing `qBittorrent.conf` before the start did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreSeed {
    /// Written; the file did not hold the app's password before.
    Initialized,
    /// Written; it held the app's password already (an earlier run).
    Updated,
    /// Not written: the temporary password and the API do it instead.
    Skipped,
}

/// Write the hardened `qBittorrent.conf` into the created (or stopped)
/// qBittorrent container, before it starts: the app's password (generated
/// and stored in the Keychain first), the tunnel interface, peer discovery
/// as configured, the Web UI's Host-header and CSRF checks on, no auth
/// bypass, no autorun. An existing file is edited, never replaced. When the
/// file cannot be read or written, the start goes on without it
/// ([`PreSeed::Skipped`]): the temporary password and the API then do the
/// same after the start.
pub async fn preseed_conf(
    docker: &Docker,
    settings: &Settings,
    secrets: &Secrets,
    container_id: &str,
) -> Result<PreSeed, StackError> {
    let existing = match engine::read_file(docker, container_id, QBITTORRENT_CONF).await {
        Ok(text) => text,
        Err(e) => {
            tracing::warn!(error = %e, "qBittorrent.conf could not be read before the start");
            return Ok(PreSeed::Skipped);
        }
    };
    // A new file starts from the image's defaults (its save paths), as the
    // image would have copied them.
    let base = match &existing {
        Some(text) => text.clone(),
        None => engine::read_file(docker, container_id, conf::DEFAULTS_PATH)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| conf::LINUXSERVER_DEFAULTS.to_owned()),
    };
    let password = secrets
        .get_or_generate(
            SecretKind::QbittorrentPassword,
            qbittorrent::generate_password,
        )
        .await?;
    let had_password = existing.as_deref().is_some_and(|text| {
        conf::Ini::parse(text)
            .get("Preferences", "WebUI\\Password_PBKDF2")
            .is_some_and(|v| conf::pbkdf2_matches(v, &password))
    });
    let hash = conf::password_pbkdf2(&password);
    let domains = server_domains(settings);
    let q = &settings.qbittorrent;
    let text = conf::harden(
        Some(&base),
        &conf::Hardening {
            username: &q.username,
            password_pbkdf2: &hash,
            interface: VPN_INTERFACE,
            dht: q.dht,
            lsd: q.lsd,
            pex: q.pex,
            upnp: q.upnp,
            server_domains: &domains,
        },
    );
    let (uid, gid) = (settings.stack.puid, settings.stack.pgid);
    if let Err(e) = engine::write_file(
        docker,
        container_id,
        QBITTORRENT_CONF,
        text.as_bytes(),
        uid,
        gid,
        0o600,
    )
    .await
    {
        tracing::warn!(error = %e, "qBittorrent.conf could not be written before the start");
        return Ok(PreSeed::Skipped);
    }
    Ok(if had_password {
        PreSeed::Updated
    } else {
        PreSeed::Initialized
    })
}

/// Whether the config file holds a Web UI password.
fn conf_has_password(conf: &str) -> bool {
    conf.lines().any(|line| {
        line.trim()
            .strip_prefix("WebUI\\Password_PBKDF2=")
            .is_some_and(|v| !v.trim().trim_matches('"').is_empty())
    })
}

/// Log in, setting the app's generated password the first time.
///
/// - No password in qBittorrent's config: 5.x prints a temporary one in this
///   run's log; 4.5 and older use `adminadmin`. Log in with it, then set the
///   password kept in the Keychain (generated and stored first, so a crash
///   in between loses nothing: qBittorrent keeps no password, and the next
///   run starts over).
/// - A password is set: log in with the Keychain's, once. A refusal is an
///   error, never retried. With nothing in the Keychain, the old default is
///   tried once (4.x saves it into its config).
pub async fn login(
    docker: &Docker,
    qb: &QbitClient,
    secrets: &Secrets,
    service: &Inspected,
    config_volume: &str,
) -> Result<bool, StackError> {
    let conf = engine::read_file(docker, &service.id, QBITTORRENT_CONF)
        .await?
        .unwrap_or_default();
    let stored = secrets.get(SecretKind::QbittorrentPassword).await?;
    let initial = if conf_has_password(&conf) {
        match stored {
            Some(password) => {
                qb.login(&password).await?;
                return Ok(false);
            }
            None => SecretString::from(LEGACY_DEFAULT_PASSWORD.to_owned()),
        }
    } else {
        temporary_password(docker, service)
            .await
            .unwrap_or_else(|| SecretString::from(LEGACY_DEFAULT_PASSWORD.to_owned()))
    };
    match qb.login(&initial).await {
        Ok(()) => {}
        Err(QbitError::WrongPassword { .. }) => {
            return Err(StackError::UnknownQbittorrentPassword {
                volume: config_volume.to_owned(),
            });
        }
        Err(e) => return Err(e.into()),
    }
    let password = secrets
        .get_or_generate(
            SecretKind::QbittorrentPassword,
            qbittorrent::generate_password,
        )
        .await?;
    qb.set_password(&password).await?;
    // Prove the new password works, in a session of its own.
    let check = QbitClient::new(qb.base_url().as_str(), qb.username())?;
    check.login(&password).await?;
    Ok(true)
}

/// The temporary password qBittorrent (4.6.1 and later) printed in this
/// run. `None` for older versions (seen in the log's `qBittorrent vX.Y.Z
/// started` line), which use the legacy default instead, or when none came
/// within [`TEMP_PASSWORD_WAIT`].
async fn temporary_password(docker: &Docker, service: &Inspected) -> Option<SecretString> {
    let since = engine::unix_seconds(&service.started_at)
        .and_then(|s| i32::try_from(s).ok())
        .unwrap_or(0);
    let deadline = Instant::now() + TEMP_PASSWORD_WAIT;
    loop {
        let logs = engine::logs_since(docker, &service.id, since).await;
        if let Some(p) = qbittorrent::parse_temporary_password(&logs) {
            return Some(p);
        }
        if logged_version(&logs).is_some_and(|v| v < (4, 6, 1)) || Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The version in qBittorrent's `qBittorrent v4.5.2 started` log line.
fn logged_version(logs: &str) -> Option<(u32, u32, u32)> {
    let rest = logs.split("qBittorrent v").nth(1)?;
    let version = rest.split_whitespace().next()?;
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    Some((
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    ))
}

/// The ports the gateway forwards, waiting a little after the tunnel came
/// up. Empty when forwarding is off or nothing came.
pub async fn forwarded_port(settings: &Settings, gateway: &GluetunClient) -> Option<u16> {
    if !settings.vpn.port_forwarding {
        return None;
    }
    let deadline = Instant::now() + FORWARDED_PORT_WAIT;
    loop {
        if let Ok(ports) = gateway.forwarded_ports().await {
            if let Some(p) = ports.first() {
                return Some(*p);
            }
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Bind to the tunnel, apply UPnP/LSD/DHT/PeX as configured and the
/// listen port, then read the preferences back.
pub async fn apply_network_prefs(
    qb: &QbitClient,
    settings: &Settings,
    listen_port: Option<u16>,
) -> Result<(), StackError> {
    let q = &settings.qbittorrent;
    let mut prefs = serde_json::json!({
        "current_network_interface": VPN_INTERFACE,
        // "All IPv4 addresses" of that interface.
        "current_interface_address": "0.0.0.0",
        "upnp": q.upnp,
        "web_ui_upnp": false,
        "dht": q.dht,
        "lsd": q.lsd,
        "pex": q.pex,
        "random_port": false,
    });
    if let (Some(port), Some(map)) = (listen_port, prefs.as_object_mut()) {
        map.insert("listen_port".to_owned(), port.into());
    }
    qb.set_preferences(&prefs).await?;
    let back = qb.preferences().await?;
    let checks = [
        mismatch(
            "current_network_interface",
            VPN_INTERFACE.to_owned(),
            back.current_network_interface.clone(),
        ),
        mismatch("upnp", q.upnp.to_string(), back.upnp.map(|v| v.to_string())),
        mismatch("dht", q.dht.to_string(), back.dht.map(|v| v.to_string())),
        mismatch("lsd", q.lsd.to_string(), back.lsd.map(|v| v.to_string())),
        mismatch("pex", q.pex.to_string(), back.pex.map(|v| v.to_string())),
        listen_port.and_then(|p| {
            mismatch(
                "listen_port",
                p.to_string(),
                back.listen_port.map(|v| v.to_string()),
            )
        }),
    ];
    match checks.into_iter().flatten().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The Web UI's own protection, set through the API as well (a stack whose
/// file the app could not write, or one it adopted) and read back: the
/// Host-header check with the app's names, CSRF protection, no way around
/// the login, the ban after failed logins on, no autorun.
pub async fn apply_webui_prefs(qb: &QbitClient, settings: &Settings) -> Result<(), StackError> {
    let domains = server_domains(settings).join(";");
    let before = qb.preferences().await?;
    let mut prefs = serde_json::json!({
        "web_ui_host_header_validation_enabled": true,
        "web_ui_domain_list": domains,
        "web_ui_csrf_protection_enabled": true,
        "bypass_local_auth": false,
        "bypass_auth_subnet_whitelist_enabled": false,
        "autorun_enabled": false,
        "autorun_on_torrent_added_enabled": false,
    });
    if before.web_ui_max_auth_fail_count == Some(0) {
        if let Some(map) = prefs.as_object_mut() {
            map.insert("web_ui_max_auth_fail_count".to_owned(), 5.into());
        }
    }
    qb.set_preferences(&prefs).await?;
    let back = qb.preferences().await?;
    let flag = |v: Option<bool>| v.map(|b| b.to_string());
    let checks = [
        mismatch(
            "web_ui_host_header_validation_enabled",
            "true".into(),
            flag(back.web_ui_host_header_validation_enabled),
        ),
        mismatch(
            "web_ui_domain_list",
            domains.clone(),
            back.web_ui_domain_list.clone(),
        ),
        mismatch(
            "web_ui_csrf_protection_enabled",
            "true".into(),
            flag(back.web_ui_csrf_protection_enabled),
        ),
        mismatch(
            "bypass_local_auth",
            "false".into(),
            flag(back.bypass_local_auth),
        ),
        mismatch(
            "bypass_auth_subnet_whitelist_enabled",
            "false".into(),
            flag(back.bypass_auth_subnet_whitelist_enabled),
        ),
        mismatch(
            "autorun_enabled",
            "false".into(),
            flag(back.autorun_enabled),
        ),
        mismatch(
            "autorun_on_torrent_added_enabled",
            "false".into(),
            flag(back.autorun_on_torrent_added_enabled),
        ),
        mismatch(
            "web_ui_username",
            settings.qbittorrent.username.clone(),
            back.web_ui_username.clone(),
        ),
        back.web_ui_max_auth_fail_count
            .filter(|n| *n == 0)
            .map(|_| StackError::HardeningNotApplied {
                key: "web_ui_max_auth_fail_count",
                wanted: "more than 0".to_owned(),
                actual: "0".to_owned(),
            }),
    ];
    match checks.into_iter().flatten().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// A preference read back that is not what was set.
fn mismatch(key: &'static str, wanted: String, actual: Option<String>) -> Option<StackError> {
    let actual = actual.unwrap_or_else(|| "nothing".to_owned());
    (wanted != actual).then_some(StackError::HardeningNotApplied {
        key,
        wanted,
        actual,
    })
}

/// Re-apply the interface and port after the VPN restarted inside the
/// gateway (gluetun #1407): qBittorrent keeps listening on the old tunnel
/// interface otherwise. Switching to `lo` and back makes it re-bind; the
/// torrents are then re-announced.
pub async fn rebind(
    qb: &QbitClient,
    settings: &Settings,
    listen_port: Option<u16>,
) -> Result<(), StackError> {
    qb.set_preferences(&serde_json::json!({ "current_network_interface": "lo" }))
        .await?;
    apply_network_prefs(qb, settings, listen_port).await?;
    // Connections died with the old binding: find the peers again now rather
    // than at the next announce interval.
    qb.reannounce_all().await?;
    Ok(())
}

/// The whole hardening of a freshly started qBittorrent: log in (with the
/// password written before the start, or else the temporary one), then the
/// network and Web UI settings through the API, each read back.
#[allow(clippy::too_many_arguments)]
pub async fn harden(
    docker: &Docker,
    settings: &Settings,
    secrets: &Secrets,
    service: &Inspected,
    config_volume: &str,
    gateway: &GluetunClient,
    webui_timeout: Duration,
    preseed: PreSeed,
) -> Result<Hardened, StackError> {
    let qb = QbitClient::new(&webui_url(settings), settings.qbittorrent.username.clone())?;
    wait_webui(docker, &qb, service, webui_timeout).await?;
    let replaced = login(docker, &qb, secrets, service, config_volume).await?;
    let password_initialized = replaced || preseed == PreSeed::Initialized;
    let web_api = qb.api_version().await?;
    let listen_port = forwarded_port(settings, gateway).await;
    apply_network_prefs(&qb, settings, listen_port).await?;
    apply_webui_prefs(&qb, settings).await?;
    Ok(Hardened {
        web_api: web_api.to_string(),
        password_initialized,
        listen_port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_from_the_log() {
        let log = "(N) 2026-11-24T23:57:47 - qBittorrent v4.5.2 started\nWebUI will be started";
        assert_eq!(logged_version(log), Some((4, 5, 2)));
        assert_eq!(
            logged_version("(N) x - qBittorrent v5.1.0 started"),
            Some((5, 1, 0))
        );
        assert_eq!(logged_version("nothing yet"), None);
        assert!(logged_version(log).is_some_and(|v| v < (4, 6, 1)));
    }

    #[test]
    fn password_in_config() {
        assert!(!conf_has_password("[Preferences]\nWebUI\\Port=8080\n"));
        assert!(!conf_has_password("WebUI\\Password_PBKDF2=\n"));
        assert!(!conf_has_password("WebUI\\Password_PBKDF2=\"\"\n"));
        assert!(conf_has_password(
            "[Preferences]\nWebUI\\Password_PBKDF2=\"@ByteArray(abc:def)\"\n"
        ));
    }
}
