//! "Verify protection": check, rather than assume, that the running stack
//! protects: the tunnel carries traffic, the kill switch blocks everything
//! else, qBittorrent lives inside the gateway and is bound to the tunnel,
//! no secret shows in the containers' configuration, and none of the three
//! leaks users test for by hand ([`leaks`]: the real IP, DNS, IPv6). The
//! live kill-switch test ([`kill_switch`]) stops the VPN for a few seconds
//! and is run only on request.

pub mod kill_switch;
pub mod leaks;

use bollard::query_parameters::InspectContainerOptions;
use secrecy::ExposeSecret;
use serde::Serialize;

use crate::monitor::{verify_block, BlockProbe};
use crate::qbittorrent::QbitClient;
use crate::secrets::SecretKind;
use crate::stack::{engine, harden, spec, tunnel_ip, StackError, StackManager};

/// One verified property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Check {
    pub name: std::borrow::Cow<'static, str>,
    pub ok: bool,
    pub detail: String,
    /// Values in `detail` that only the user may see (their real address):
    /// logs and kept results show [`Check::log_detail`] instead.
    #[serde(skip)]
    pub private: Vec<String>,
}

/// What stands for a private value in logs.
pub const REDACTED: &str = "[your address]";

impl Check {
    /// `detail` with the private values redacted, for logs and files.
    pub fn log_detail(&self) -> String {
        self.private
            .iter()
            .filter(|p| !p.is_empty())
            .fold(self.detail.clone(), |d, p| d.replace(p.as_str(), REDACTED))
    }

    /// This check with its private values redacted.
    pub fn redacted(&self) -> Check {
        Check {
            detail: self.log_detail(),
            private: Vec::new(),
            ..self.clone()
        }
    }
}

/// The verdict both front-ends show: protected only when every check ran
/// and passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Report {
    pub at_ms: u64,
    pub protected: bool,
    pub summary: String,
    pub checks: Vec<Check>,
    /// How long the live kill-switch test kept the tunnel down, when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill_switch_downtime_ms: Option<u64>,
}

impl Report {
    pub fn from_checks(checks: Vec<Check>, at_ms: u64) -> Self {
        let failed: Vec<&str> = checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.name.as_ref())
            .collect();
        let protected = !checks.is_empty() && failed.is_empty();
        let summary = if protected {
            format!("Protected: all {} checks passed", checks.len())
        } else {
            format!(
                "NOT protected: {} of {} checks failed ({})",
                failed.len(),
                checks.len(),
                failed.join("; ")
            )
        };
        Self {
            at_ms,
            protected,
            summary,
            checks,
            kill_switch_downtime_ms: None,
        }
    }

    /// This report with every private value redacted (for logs and files).
    pub fn redacted(&self) -> Report {
        Report {
            checks: self.checks.iter().map(Check::redacted).collect(),
            ..self.clone()
        }
    }

    /// Verify could not run at all: not protected, as far as anyone knows.
    pub fn not_run(error: &StackError, at_ms: u64) -> Self {
        Self {
            at_ms,
            protected: false,
            summary: format!("Verify could not run: {error}"),
            checks: Vec::new(),
            kill_switch_downtime_ms: None,
        }
    }
}

/// Every check, as one [`Report`]; with `kill_switch`, the live test too
/// (after the others).
pub async fn report(manager: &StackManager, kill_switch: bool) -> Report {
    let now = crate::progress::now_ms;
    let mut checks = match verify(manager).await {
        Ok(checks) => checks,
        Err(e) => return Report::not_run(&e, now()),
    };
    let mut downtime = None;
    if kill_switch {
        match kill_switch::run(manager).await {
            Ok(outcome) => {
                checks.extend(outcome.checks);
                downtime = outcome.downtime_ms;
            }
            Err(e) => checks.push(check(kill_switch::HOLDS, false, e.to_string())),
        }
    }
    let mut report = Report::from_checks(checks, now());
    report.kill_switch_downtime_ms = downtime;
    report
}

fn check(name: &'static str, ok: bool, detail: impl Into<String>) -> Check {
    Check {
        name: std::borrow::Cow::Borrowed(name),
        ok,
        detail: detail.into(),
        private: Vec::new(),
    }
}

/// Run every check; a check that cannot run fails with the reason.
pub async fn verify(manager: &StackManager) -> Result<Vec<Check>, StackError> {
    let mut checks = Vec::new();
    let current = manager.current().await?;
    let Some(gateway) = current.gateway.clone().filter(|g| g.running) else {
        checks.push(check(
            "the VPN gateway runs",
            false,
            "not connected: nothing to verify",
        ));
        return Ok(checks);
    };
    checks.push(check("the VPN gateway runs", true, gateway.name.clone()));

    let client = manager.gateway_client().await?;
    let mut vpn_ip = None;
    checks.push(match tunnel_ip(client).await {
        Ok(Some(ip)) => {
            vpn_ip = ip.public_ip;
            let shown = ip.public_ip.map(|a| a.to_string()).unwrap_or_default();
            check("the tunnel is up", true, format!("VPN IP {shown}"))
        }
        Ok(None) => check("the tunnel is up", false, "the VPN is not running"),
        Err(e) => check("the tunnel is up", false, e.to_string()),
    });
    // The user's real address, asked from this machine (outside the VPN).
    let real_ip = leaks::real_ip(&manager.settings().monitor.real_ip_url).await;

    let target = manager.settings().monitor.probe_target.to_string();
    let through = engine::exec_text(
        manager.docker(),
        &gateway.id,
        &[
            "ping",
            "-n",
            "-c",
            "2",
            "-W",
            "1",
            "-I",
            spec::VPN_INTERFACE,
            &target,
        ],
    )
    .await;
    checks.push(check(
        "traffic flows through the tunnel",
        through.contains("bytes from"),
        format!("ping {target} over {}", spec::VPN_INTERFACE),
    ));

    let block = verify_block(manager, manager.settings().monitor.probe_target).await;
    checks.push(match block {
        BlockProbe::Blocked => check(
            "the kill switch blocks traffic outside the tunnel",
            true,
            format!("no answer from {target} through eth0"),
        ),
        BlockProbe::Leaked(why) => check(
            "the kill switch blocks traffic outside the tunnel",
            false,
            format!("LEAK: {why}"),
        ),
        BlockProbe::Inconclusive(why) => check(
            "the kill switch blocks traffic outside the tunnel",
            false,
            why,
        ),
    });

    let service = current.service(spec::QBITTORRENT).cloned();
    match &service {
        Some(s) if s.running && s.in_namespace_of(&gateway) => checks.push(check(
            "qBittorrent runs inside the gateway",
            true,
            format!("{} shares {}'s network", s.name, gateway.name),
        )),
        Some(s) => checks.push(check(
            "qBittorrent runs inside the gateway",
            false,
            format!("{} is {} ({})", s.name, s.state, s.network_mode),
        )),
        None => checks.push(check(
            "qBittorrent runs inside the gateway",
            false,
            "no qBittorrent container",
        )),
    }

    checks.push(qbittorrent_binding(manager, client).await);
    let service_id = service.map(|s| s.id);
    checks.push(container_config(manager, &gateway.id, service_id.clone()).await);
    checks.push(leaks::ip_leak(vpn_ip, &real_ip));
    checks.push(leaks::dns_leak(manager, client, &gateway.id, &real_ip).await);
    let mut namespaces = vec![gateway.id.clone()];
    namespaces.extend(service_id);
    checks.push(leaks::ipv6(manager.docker(), &namespaces).await);
    Ok(checks)
}

/// qBittorrent bound to the tunnel interface, listening on the forwarded
/// port.
async fn qbittorrent_binding(
    manager: &StackManager,
    client: &crate::gluetun::GluetunClient,
) -> Check {
    const NAME: &str = "qBittorrent is bound to the tunnel";
    let settings = manager.settings();
    let result = async {
        let qb = QbitClient::new(
            &harden::webui_url(settings),
            settings.qbittorrent.username.clone(),
        )?;
        let password = manager
            .secrets()
            .require(SecretKind::QbittorrentPassword)
            .await?;
        qb.login(&password).await?;
        let prefs = qb.preferences().await?;
        let port = harden::forwarded_port(settings, client).await;
        Ok::<_, StackError>((prefs, port))
    }
    .await;
    match result {
        Ok((prefs, port)) => {
            let interface = prefs.current_network_interface.unwrap_or_default();
            let listen = prefs.listen_port.unwrap_or(0);
            let port_ok = port.is_none_or(|p| u32::from(p) == listen);
            let ok = interface == spec::VPN_INTERFACE && port_ok;
            let detail = match port {
                Some(p) => format!("interface {interface:?}, listen port {listen} (forwarded {p})"),
                None => format!("interface {interface:?}, listen port {listen}"),
            };
            check(NAME, ok, detail)
        }
        Err(e) => check(NAME, false, e.to_string()),
    }
}

/// No secret in `docker inspect`, IPv6 off, nothing published but the Web
/// UI and the control server.
async fn container_config(manager: &StackManager, gateway: &str, service: Option<String>) -> Check {
    const NAME: &str = "no secret in the containers' configuration";
    let mut secrets = Vec::new();
    for kind in SecretKind::ALL {
        if let Ok(Some(v)) = manager.secrets().get(kind).await {
            secrets.push(v);
        }
    }
    let mut ids = vec![gateway.to_owned()];
    ids.extend(service);
    for id in ids {
        let inspected = match manager
            .docker()
            .inspect_container(&id, None::<InspectContainerOptions>)
            .await
        {
            Ok(i) => i,
            Err(e) => return check(NAME, false, e.to_string()),
        };
        let text = serde_json::to_string(&inspected).unwrap_or_default();
        if secrets
            .iter()
            .any(|s| !s.expose_secret().is_empty() && text.contains(s.expose_secret()))
        {
            return check(
                NAME,
                false,
                format!("a keychain secret appears in docker inspect of {id}"),
            );
        }
    }
    check(NAME, true, "checked docker inspect of every container")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries() {
        let ok = |name| check(name, true, "");
        let r = Report::from_checks(vec![ok("a"), ok("b")], 1);
        assert!(r.protected);
        assert_eq!(r.summary, "Protected: all 2 checks passed");
        let r = Report::from_checks(
            vec![ok("a"), check("the kill switch blocks", false, "leaked")],
            1,
        );
        assert!(!r.protected);
        assert_eq!(
            r.summary,
            "NOT protected: 1 of 2 checks failed (the kill switch blocks)"
        );
        // No check is no proof.
        assert!(!Report::from_checks(Vec::new(), 1).protected);
        let r = Report::not_run(&StackError::Cancelled, 1);
        assert!(!r.protected && r.summary.starts_with("Verify could not run"));
    }

    #[test]
    fn private_values_never_reach_the_log() {
        let mut c = check(
            "the VPN IP is not your real IP",
            false,
            "LEAK: the VPN IP 203.0.113.7 is your real IP 203.0.113.7",
        );
        c.private.push("203.0.113.7".into());
        assert_eq!(
            c.log_detail(),
            "LEAK: the VPN IP [your address] is your real IP [your address]"
        );
        assert!(!serde_json::to_string(&c.redacted())
            .unwrap()
            .contains("203.0.113.7"));
        // The user's own output keeps it.
        assert!(c.detail.contains("203.0.113.7"));
    }
}
