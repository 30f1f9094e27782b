//! The live kill-switch test, the one users run by hand: stop the VPN
//! through the control server, try to reach the IP echo and to resolve a
//! name from inside qBittorrent's namespace (both must fail), prove that
//! the failure is the firewall's refusal rather than a slow network (a ping
//! to the probe target refused before it is sent: a TCP connect that the
//! firewall drops only times out), start the VPN again, and check that the
//! echo answers with the VPN's address. It interrupts transfers for a
//! few seconds, so it runs only on request (`tvpn verify --kill-switch`,
//! "Test the Kill Switch…"). It never stops or re-binds qBittorrent.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::leaks::{exec, lookup_answer, parse_ip, WHOAMI_NAME};
use super::{check, Check};
use crate::gluetun::{GluetunClient, VpnStatus, VpnTarget};
use crate::stack::{tunnel_ip, StackError, StackManager};

pub const HOLDS: &str = "the kill switch holds with the VPN stopped";
pub const BACK: &str = "the VPN comes back and traffic flows through it";

/// How long the VPN may take to stop, and to come back.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
const BACK_TIMEOUT: Duration = Duration::from_secs(90);

/// The live test's checks and how long the tunnel was down (ms).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub checks: Vec<Check>,
    pub downtime_ms: Option<u64>,
}

/// Run the live test on the connected stack.
pub async fn run(manager: &StackManager) -> Result<Outcome, StackError> {
    let current = manager.current().await?;
    let Some(gateway) = current.gateway.filter(|g| g.running) else {
        return Ok(Outcome {
            checks: vec![check(HOLDS, false, "not connected: nothing to test")],
            downtime_ms: None,
        });
    };
    let client = manager.gateway_client().await?;
    if tunnel_ip(client).await?.is_none() {
        return Ok(Outcome {
            checks: vec![check(HOLDS, false, "the tunnel is not up: nothing to test")],
            downtime_ms: None,
        });
    }
    let url = manager.settings().monitor.tunnel_ip_url.clone();
    let wget = ["wget", "-O", "-", "-T", "5", "-t", "1", url.as_str()];
    let target = manager.settings().monitor.probe_target.to_string();
    let ping = ["ping", "-n", "-c", "1", "-W", "1", target.as_str()];

    let stopped_at = Instant::now();
    client.set_vpn_status(VpnTarget::Stopped).await?;
    let holds = match wait_status(client, false, STOP_TIMEOUT).await {
        Err(why) => check(HOLDS, false, why),
        Ok(()) => {
            let docker = manager.docker();
            let echo = exec(docker, &gateway.id, &wget).await;
            let lookup = exec(docker, &gateway.id, &["nslookup", WHOAMI_NAME]).await;
            let refusal = exec(docker, &gateway.id, &ping).await;
            blocked_verdict(&echo, &lookup, &refusal)
        }
    };

    client.set_vpn_status(VpnTarget::Running).await?;
    let back = match wait_status(client, true, BACK_TIMEOUT).await {
        Err(why) => (check(BACK, false, why), None),
        Ok(()) => {
            let downtime = stopped_at.elapsed();
            let vpn = tunnel_ip(client)
                .await
                .ok()
                .flatten()
                .and_then(|i| i.public_ip);
            let echo = exec(manager.docker(), &gateway.id, &wget).await;
            (back_verdict(&echo, vpn, downtime), Some(downtime))
        }
    };
    Ok(Outcome {
        checks: vec![holds, back.0],
        downtime_ms: back
            .1
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
    })
}

/// Until the VPN runs with a public IP (`up`), or no longer runs.
async fn wait_status(client: &GluetunClient, up: bool, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        let now_up = matches!(tunnel_ip(client).await, Ok(Some(_)));
        let stopped = matches!(
            client.vpn_status().await,
            Ok(VpnStatus::Stopped | VpnStatus::Crashed)
        );
        if (up && now_up) || (!up && stopped) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "the VPN did not {} within {} s",
                if up { "come back" } else { "stop" },
                timeout.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// With the VPN stopped: the echo gets no answer, the name does not
/// resolve, and a ping (ICMP, which a firewall refuses at `sendmsg`, unlike
/// a TCP connect that it lets time out) is refused: the block is the
/// firewall's, not a slow network.
pub fn blocked_verdict(echo: &str, lookup: &str, ping: &str) -> Check {
    if let Some(ip) = answered(echo) {
        return check(
            HOLDS,
            false,
            format!("LEAK: with the VPN stopped, the IP echo answered {ip}"),
        );
    }
    if let Some(ip) = lookup_answer(lookup, WHOAMI_NAME) {
        return check(
            HOLDS,
            false,
            format!("LEAK: with the VPN stopped, {WHOAMI_NAME} resolved to {ip}"),
        );
    }
    if ping.contains("bytes from") {
        return check(
            HOLDS,
            false,
            "LEAK: with the VPN stopped, a ping was answered",
        );
    }
    if !ping.contains("Operation not permitted") {
        let what = ping.lines().last().unwrap_or("").trim();
        return check(
            HOLDS,
            false,
            format!("nothing answered, but the firewall's refusal is not proven: the ping printed {what:?}"),
        );
    }
    check(
        HOLDS,
        true,
        "with the VPN stopped, the IP echo got no answer, no name resolved, and the firewall refused a ping",
    )
}

/// With the VPN back: the echo answers with the VPN's address.
pub fn back_verdict(echo: &str, vpn: Option<IpAddr>, downtime: Duration) -> Check {
    let down = format!("the tunnel was down for {:.1} s", downtime.as_secs_f64());
    match (answered(echo), vpn) {
        (Some(seen), Some(vpn)) if seen == vpn => check(
            BACK,
            true,
            format!("{down}; the IP echo sees the VPN IP {vpn} again"),
        ),
        (Some(seen), Some(vpn)) => check(
            BACK,
            false,
            format!("LEAK: {down}; the IP echo sees {seen}, not the VPN IP {vpn}"),
        ),
        (None, _) => check(
            BACK,
            false,
            format!("{down}; the IP echo does not answer through the tunnel"),
        ),
        (Some(_), None) => check(BACK, false, format!("{down}; the VPN has no public IP")),
    }
}

/// The address `wget -O -` printed, if the echo answered.
fn answered(output: &str) -> Option<IpAddr> {
    output.lines().find_map(parse_ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    // What the lab's gateway printed with the VPN stopped.
    const TIMED_OUT: &str = "--2026-12-02 06:36:44--  http://10.222.0.10/\nConnecting to 10.222.0.10:80... failed: Connection timed out.\nGiving up.\n";
    const NO_NAME: &str = "Server:\t\t127.0.0.1\nAddress:\t127.0.0.1#53\n\n** server can't find whoami.akamai.net: REFUSED\n";
    const REFUSED: &str = "PING 10.222.0.10 (10.222.0.10) 56(84) bytes of data.\nping: sendmsg: Operation not permitted\n";

    #[test]
    fn a_refusal_with_the_vpn_stopped_holds() {
        let c = blocked_verdict(TIMED_OUT, NO_NAME, REFUSED);
        assert!(c.ok, "{c:?}");
        // busybox's wording (gluetun's image).
        let busybox = "PING 10.222.0.10 (10.222.0.10): 56 data bytes\nping: sendto: Operation not permitted\n";
        assert!(blocked_verdict(TIMED_OUT, NO_NAME, busybox).ok);
        // An answer is a leak, whatever else.
        let c = blocked_verdict("10.222.0.2\n", NO_NAME, REFUSED);
        assert!(!c.ok && c.detail.contains("LEAK") && c.detail.contains("10.222.0.2"));
        let resolved = "Name:\twhoami.akamai.net\nAddress: 10.222.0.2\n";
        assert!(!blocked_verdict(TIMED_OUT, resolved, REFUSED).ok);
        let answered = "64 bytes from 10.222.0.10: icmp_seq=1 ttl=63 time=0.3 ms\n";
        assert!(!blocked_verdict(TIMED_OUT, NO_NAME, answered).ok);
        // Sent and unanswered: a slow network looks the same; no proof.
        let unanswered = "PING 10.222.0.10 (10.222.0.10) 56(84) bytes of data.\n\n--- 10.222.0.10 ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss\n";
        let c = blocked_verdict(TIMED_OUT, NO_NAME, unanswered);
        assert!(!c.ok && c.detail.contains("not proven"), "{}", c.detail);
    }

    #[test]
    fn back_means_the_vpn_ip_again() {
        let vpn: IpAddr = "10.222.0.3".parse().unwrap();
        let c = back_verdict("10.222.0.3\n", Some(vpn), Duration::from_millis(2500));
        assert!(c.ok && c.detail.contains("2.5 s"), "{}", c.detail);
        assert!(!back_verdict("10.222.0.2\n", Some(vpn), Duration::ZERO).ok);
        assert!(!back_verdict(TIMED_OUT, Some(vpn), Duration::ZERO).ok);
    }
}
