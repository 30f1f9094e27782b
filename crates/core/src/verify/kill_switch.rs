//! The live kill-switch test, the one users run by hand: stop the VPN
//! through the control server, try to reach the IP echo and to resolve a
//! name from inside qBittorrent's namespace (both must fail), prove that
//! the failure is the firewall's rather than a slow network (its DROP
//! policy counted the attempt: a connect the firewall drops only times out,
//! like one on a slow network), start the VPN again, and check that the
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
    // Quiet: the body alone. Its progress lines go to stderr, which the
    // exec interleaves with stdout, so they could split the address.
    let wget = ["wget", "-q", "-O", "-", "-T", "5", "-t", "1", url.as_str()];

    let stopped_at = Instant::now();
    client.set_vpn_status(VpnTarget::Stopped).await?;
    let holds = match wait_status(client, false, STOP_TIMEOUT).await {
        Err(why) => check(HOLDS, false, why),
        Ok(()) => {
            let docker = manager.docker();
            let before = exec(docker, &gateway.id, &DROP_COUNTERS).await;
            let echo = exec(docker, &gateway.id, &wget).await;
            let after = exec(docker, &gateway.id, &DROP_COUNTERS).await;
            let lookup = exec(docker, &gateway.id, &["nslookup", WHOAMI_NAME]).await;
            let dropped = match (dropped_packets(&before), dropped_packets(&after)) {
                (Some(b), Some(a)) => Some(a.saturating_sub(b)),
                _ => None,
            };
            blocked_verdict(&echo, &lookup, dropped)
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

/// The firewall's OUTPUT chain, with its counters, in both iptables
/// back-ends gluetun's image has (`iptables`, `iptables-legacy`: gluetun
/// uses whichever works, `internal/firewall/iptables.go`).
const DROP_COUNTERS: [&str; 3] = [
    "sh",
    "-c",
    "iptables -L OUTPUT -n -v -x 2>/dev/null; iptables-legacy -L OUTPUT -n -v -x 2>/dev/null",
];

/// Packets the OUTPUT chains with a DROP policy have dropped, from
/// `iptables -L OUTPUT -n -v -x` ("Chain OUTPUT (policy DROP 12 packets,
/// 849 bytes)"); `None` when no chain drops by default.
pub fn dropped_packets(listing: &str) -> Option<u64> {
    let counts: Vec<u64> = listing
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Chain OUTPUT (policy DROP "))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .collect();
    (!counts.is_empty()).then(|| counts.iter().sum())
}

/// With the VPN stopped: the echo gets no answer, the name does not
/// resolve, and the firewall's DROP policy counted the attempt (`dropped`
/// packets while the echo was tried): the block is the firewall's, not a
/// slow network.
pub fn blocked_verdict(echo: &str, lookup: &str, dropped: Option<u64>) -> Check {
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
    match dropped {
        Some(n) if n > 0 => check(
            HOLDS,
            true,
            format!(
                "with the VPN stopped, the IP echo got no answer (the firewall dropped {n} packets) and no name resolved"
            ),
        ),
        Some(_) => check(
            HOLDS,
            false,
            "nothing answered, but the firewall dropped nothing: a slow network, not a proven block",
        ),
        None => check(
            HOLDS,
            false,
            "nothing answered, but the firewall's counters could not be read: the block is not proven",
        ),
    }
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

/// The address `wget -q -O -` printed, if the echo answered.
fn answered(output: &str) -> Option<IpAddr> {
    output.lines().find_map(parse_ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    // What the lab's gateway printed with the VPN stopped.
    const TIMED_OUT: &str = "--2026-12-02 06:36:44--  http://10.222.0.10/\nConnecting to 10.222.0.10:80... failed: Connection timed out.\nGiving up.\n";
    const NO_NAME: &str = "Server:\t\t127.0.0.1\nAddress:\t127.0.0.1#53\n\n** server can't find whoami.akamai.net: REFUSED\n";

    #[test]
    fn the_firewall_counts_what_it_blocks() {
        let nft = "Chain OUTPUT (policy DROP 3 packets, 180 bytes)\n    pkts      bytes target     prot opt in     out     source               destination\n      35    28601 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED\n";
        let legacy = "Chain OUTPUT (policy ACCEPT 12 packets, 849 bytes)\n";
        assert_eq!(dropped_packets(&format!("{nft}{legacy}")), Some(3));
        assert_eq!(dropped_packets(legacy), None);
        assert_eq!(dropped_packets(""), None);
    }

    #[test]
    fn the_echo_is_read_from_its_body_alone() {
        // What an unquiet wget printed when its stderr and stdout
        // interleaved: the body is not a line of its own.
        let mixed = "Saving to: 'STDOUT'\n\n     0K      10.222.0.2\n";
        assert_eq!(answered(mixed), None);
        assert_eq!(
            answered("10.222.0.2\n"),
            Some("10.222.0.2".parse().unwrap())
        );
    }

    #[test]
    fn a_block_by_the_firewall_with_the_vpn_stopped_holds() {
        let c = blocked_verdict(TIMED_OUT, NO_NAME, Some(3));
        assert!(c.ok, "{c:?}");
        // An answer is a leak, whatever else.
        let c = blocked_verdict("10.222.0.2\n", NO_NAME, Some(3));
        assert!(!c.ok && c.detail.contains("LEAK") && c.detail.contains("10.222.0.2"));
        let resolved = "Name:\twhoami.akamai.net\nAddress: 10.222.0.2\n";
        assert!(!blocked_verdict(TIMED_OUT, resolved, Some(3)).ok);
        // Nothing dropped: a slow network looks the same; no proof.
        let c = blocked_verdict(TIMED_OUT, NO_NAME, Some(0));
        assert!(!c.ok && c.detail.contains("slow network"), "{}", c.detail);
        assert!(!blocked_verdict(TIMED_OUT, NO_NAME, None).ok);
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
