//! The three leaks users test for by hand: the real IP seen through the
//! VPN, DNS answered outside the tunnel, and IPv6 as a second way out.
//!
//! Each check reads evidence (an answer, a file, a refusal) and fails when
//! the evidence is missing: a check that cannot run never passes. The
//! commands run inside the gateway, whose network namespace qBittorrent
//! shares, with tools gluetun's image has (GNU `wget`, busybox `nslookup`
//! and `ping`: gluetun's `Dockerfile`).

use std::net::IpAddr;
use std::time::Duration;

use super::{check, Check};
use crate::gluetun::{GluetunClient, VpnStatus};
use crate::stack::{engine, StackManager};

pub const IP_LEAK: &str = "the VPN IP is not your real IP";
pub const DNS_LEAK: &str = "DNS goes only through the tunnel";
pub const IPV6_LEAK: &str = "IPv6 is off in the stack";

/// Akamai's resolver-identity name: its A record is the address of the
/// resolver that asked.
pub const WHOAMI_NAME: &str = "whoami.akamai.net";
/// Where a connection attempt over IPv6 is aimed: the documentation prefix
/// (RFC 3849), never routed; only whether it may be sent matters.
pub const IPV6_PROBE: &str = "2001:db8::1";
/// How long the real-IP lookup may take.
const REAL_IP_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a command inside the gateway may take.
const EXEC_TIMEOUT: Duration = Duration::from_secs(8);

/// The user's real address, asked from this machine: `Err` says why not.
pub async fn real_ip(url: &str) -> Result<IpAddr, String> {
    let client = reqwest::Client::builder()
        .timeout(REAL_IP_TIMEOUT)
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let answer = client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("{url} did not answer: {e}"))?;
    let text = answer.text().await.map_err(|e| e.to_string())?;
    parse_ip(&text).ok_or_else(|| format!("{url} did not answer with an address"))
}

/// An IP echo's answer: one address, maybe with blanks around it.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    text.trim().parse().ok()
}

/// The real IP and the VPN's must differ; both are named when they do not.
pub fn ip_leak(vpn_ip: Option<IpAddr>, real_ip: &Result<IpAddr, String>) -> Check {
    let (Some(vpn), Ok(real)) = (vpn_ip, real_ip) else {
        let why = match (vpn_ip, real_ip) {
            (None, _) => "the VPN has no public IP to compare".to_owned(),
            (_, Err(e)) => format!("your real IP is unknown: {e}"),
            _ => unreachable!("both known is handled above"),
        };
        return check(IP_LEAK, false, why);
    };
    let mut c = if vpn == *real {
        check(
            IP_LEAK,
            false,
            format!("LEAK: the VPN IP {vpn} is your real IP {real}"),
        )
    } else {
        check(IP_LEAK, true, format!("VPN IP {vpn}, your real IP {real}"))
    };
    c.private.push(real.to_string());
    c
}

/// DNS inside the namespace: `resolv.conf` names only gluetun's own
/// server, that server runs, and the resolver the internet sees is not at
/// the user's real address.
pub async fn dns_leak(
    manager: &StackManager,
    client: &GluetunClient,
    gateway: &str,
    real_ip: &Result<IpAddr, String>,
) -> Check {
    let docker = manager.docker();
    let resolv = exec(docker, gateway, &["cat", "/etc/resolv.conf"]).await;
    let status = client.dns_status().await.map_err(|e| e.to_string());
    let lookup = exec(docker, gateway, &["nslookup", WHOAMI_NAME]).await;
    dns_verdict(&resolv, status, &lookup, real_ip)
}

/// The DNS check from what was read: `resolv.conf`, gluetun's DNS status,
/// and `nslookup whoami.akamai.net`'s output.
pub fn dns_verdict(
    resolv_conf: &str,
    dns_status: Result<VpnStatus, String>,
    lookup: &str,
    real_ip: &Result<IpAddr, String>,
) -> Check {
    let servers = nameservers(resolv_conf);
    if servers.is_empty() {
        return check(
            DNS_LEAK,
            false,
            "the namespace's resolv.conf names no server",
        );
    }
    let outside: Vec<&IpAddr> = servers.iter().filter(|s| !s.is_loopback()).collect();
    if let Some(first) = outside.first() {
        return check(
            DNS_LEAK,
            false,
            format!("LEAK: the namespace asks {first}, not gluetun's own DNS server on 127.0.0.1"),
        );
    }
    match dns_status {
        Ok(VpnStatus::Running) => {}
        Ok(other) => {
            return check(
                DNS_LEAK,
                false,
                format!(
                "gluetun's DNS server is {other:?}, so names are not resolved through the tunnel"
            ),
            )
        }
        Err(e) => {
            return check(
                DNS_LEAK,
                false,
                format!("gluetun's DNS status is unknown: {e}"),
            )
        }
    }
    let Some(resolver) = lookup_answer(lookup, WHOAMI_NAME) else {
        let what = lookup.lines().last().unwrap_or("").trim();
        return check(
            DNS_LEAK,
            false,
            format!("{WHOAMI_NAME} did not resolve inside the stack ({what})"),
        );
    };
    match real_ip {
        Ok(real) if *real == resolver => {
            let mut c = check(
                DNS_LEAK,
                false,
                format!("LEAK: the resolver the internet sees is at your real IP {real}"),
            );
            c.private.push(real.to_string());
            c
        }
        Ok(real) => {
            let mut c = check(
                DNS_LEAK,
                true,
                format!("gluetun's DNS on 127.0.0.1; the internet sees the resolver at {resolver}, not at {real}"),
            );
            c.private.push(real.to_string());
            c
        }
        Err(e) => check(
            DNS_LEAK,
            false,
            format!("the resolver is at {resolver}, but your real IP is unknown: {e}"),
        ),
    }
}

/// The `nameserver` addresses of a `resolv.conf`.
pub fn nameservers(resolv_conf: &str) -> Vec<IpAddr> {
    resolv_conf
        .lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|rest| rest.trim().parse().ok())
        .collect()
}

/// The first address `nslookup` gives for `name` (busybox's and bind's
/// output: the `Address` lines after the `Name:` line; the server's own
/// lines come before it).
pub fn lookup_answer(output: &str, name: &str) -> Option<IpAddr> {
    let mut after_name = false;
    for line in output.lines() {
        let line = line.trim();
        if let Some(n) = line.strip_prefix("Name:") {
            after_name = n.trim().trim_end_matches('.').eq_ignore_ascii_case(name);
            continue;
        }
        if after_name {
            if let Some(a) = line
                .strip_prefix("Address:")
                .or_else(|| line.strip_prefix("Address 1:"))
            {
                let a = a.trim();
                // bind prints "1.2.3.4", busybox too; "addr#port" is a server.
                if let Ok(ip) = a.split_whitespace().next().unwrap_or("").parse() {
                    return Some(ip);
                }
            }
        }
    }
    None
}

/// IPv6 off in every namespace of the stack: no global address, no way to
/// send to an IPv6 address.
pub async fn ipv6(docker: &bollard::Docker, containers: &[String]) -> Check {
    let mut seen = Vec::new();
    for (i, id) in containers.iter().enumerate() {
        let addresses = exec(docker, id, &["cat", "/proc/net/if_inet6"]).await;
        let mut c = ipv6_verdict(&addresses, None);
        // The connection attempt from the gateway only (the services share
        // its namespace, checked above, and their images need no ping), and
        // only when no global address already fails the check.
        if c.ok && i == 0 {
            let ping = ["ping", "-6", "-n", "-c", "1", "-W", "1", IPV6_PROBE];
            let attempt = exec(docker, id, &ping).await;
            c = ipv6_verdict(&addresses, Some(&attempt));
        }
        if !c.ok {
            return Check {
                detail: format!("{} ({})", c.detail, short(id)),
                ..c
            };
        }
        seen.push(short(id));
    }
    check(
        IPV6_LEAK,
        true,
        format!(
            "no global IPv6 address in {}; sending to {IPV6_PROBE} is refused",
            seen.join(", ")
        ),
    )
}

/// The IPv6 check from `/proc/net/if_inet6` and, when made, the output of
/// `ping -6 -c 1` to [`IPV6_PROBE`].
pub fn ipv6_verdict(if_inet6: &str, attempt: Option<&str>) -> Check {
    // Fields: address, index, prefix length, scope, flags, interface; scope
    // 00 is global (unique local addresses too).
    let global: Vec<&str> = if_inet6
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 6 && f[3] == "00").then_some(f[5])
        })
        .collect();
    if let Some(interface) = global.first() {
        return check(
            IPV6_LEAK,
            false,
            format!("LEAK: {interface} has a global IPv6 address"),
        );
    }
    let Some(out) = attempt else {
        return check(IPV6_LEAK, true, "no global IPv6 address");
    };
    if out.contains("bytes from") || out.contains("data bytes") || out.contains("bytes of data") {
        return check(
            IPV6_LEAK,
            false,
            format!("LEAK: a packet to {IPV6_PROBE} could be sent over IPv6"),
        );
    }
    let refused = [
        "Network is unreachable",
        "Address family not supported",
        "Cannot assign requested address",
        "network unreachable",
        "Operation not permitted",
        "bad address",
    ];
    if refused.iter().any(|r| out.contains(r)) {
        return check(
            IPV6_LEAK,
            true,
            format!("sending to {IPV6_PROBE} is refused"),
        );
    }
    let what = out.lines().last().unwrap_or("").trim();
    check(
        IPV6_LEAK,
        false,
        format!("the IPv6 attempt proves nothing: {what:?}"),
    )
}

/// Run `cmd` in `container`, all it printed; bounded in time.
pub(super) async fn exec(docker: &bollard::Docker, container: &str, cmd: &[&str]) -> String {
    tokio::time::timeout(EXEC_TIMEOUT, engine::exec_text(docker, container, cmd))
        .await
        .unwrap_or_else(|_| format!("{} did not end within {} s", cmd[0], EXEC_TIMEOUT.as_secs()))
}

fn short(id: &str) -> String {
    id.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str = "203.0.113.7";

    fn real() -> Result<IpAddr, String> {
        Ok(REAL.parse().unwrap())
    }

    #[test]
    fn the_real_ip_must_differ_from_the_vpns() {
        let vpn: IpAddr = "198.51.100.9".parse().unwrap();
        let c = ip_leak(Some(vpn), &real());
        assert!(c.ok, "{c:?}");
        let c = ip_leak(Some(REAL.parse().unwrap()), &real());
        assert!(!c.ok);
        assert!(
            c.detail.contains("LEAK") && c.detail.contains(REAL),
            "{}",
            c.detail
        );
        assert!(!c.log_detail().contains(REAL));
        assert!(!ip_leak(None, &real()).ok);
        assert!(!ip_leak(Some(vpn), &Err("offline".into())).ok);
        assert_eq!(
            parse_ip(" 10.222.0.2\n"),
            Some("10.222.0.2".parse().unwrap())
        );
        assert_eq!(parse_ip("<html>"), None);
    }

    const BUSYBOX: &str = "Server:\t\t127.0.0.1\nAddress:\t127.0.0.1:53\n\nNon-authoritative answer:\nName:\twhoami.akamai.net\nAddress: 10.222.0.3\n";
    const BIND: &str = "Server:\t\t127.0.0.1\nAddress:\t127.0.0.1#53\n\nNon-authoritative answer:\nName:\twhoami.akamai.net\nAddress: 10.222.0.3\n\n";

    #[test]
    fn dns_goes_only_through_the_tunnel() {
        let resolv = "nameserver 127.0.0.1\noptions ndots:0\n";
        for out in [BUSYBOX, BIND] {
            assert_eq!(
                lookup_answer(out, WHOAMI_NAME),
                Some("10.222.0.3".parse().unwrap())
            );
            let c = dns_verdict(resolv, Ok(VpnStatus::Running), out, &real());
            assert!(c.ok, "{c:?}");
            assert!(!c.log_detail().contains(REAL));
        }
        // The namespace asks another server.
        let c = dns_verdict(
            "nameserver 10.221.0.2\n",
            Ok(VpnStatus::Running),
            BIND,
            &real(),
        );
        assert!(!c.ok && c.detail.contains("10.221.0.2"), "{}", c.detail);
        // gluetun's DNS is off.
        let c = dns_verdict(resolv, Ok(VpnStatus::Stopped), BIND, &real());
        assert!(!c.ok);
        // The resolver is seen at the user's own address.
        let leaked = BIND.replace("10.222.0.3", REAL);
        let c = dns_verdict(resolv, Ok(VpnStatus::Running), &leaked, &real());
        assert!(!c.ok && c.detail.starts_with("LEAK"), "{}", c.detail);
        assert!(!c.log_detail().contains(REAL));
        // No answer proves nothing.
        let c = dns_verdict(
            resolv,
            Ok(VpnStatus::Running),
            ";; connection timed out; no servers could be reached\n",
            &real(),
        );
        assert!(!c.ok);
        assert!(!dns_verdict("", Ok(VpnStatus::Running), BIND, &real()).ok);
    }

    #[test]
    fn ipv6_must_be_off() {
        let link_local = "fe800000000000000000000000000001 02 40 20 80 eth0\n";
        let lo = "00000000000000000000000000000001 01 80 10 80 lo\n";
        let refused = "ping: connect: Network is unreachable\n";
        assert!(ipv6_verdict("", Some(refused)).ok);
        assert!(ipv6_verdict(lo, Some(refused)).ok, "loopback is host scope");
        assert!(ipv6_verdict(link_local, Some(refused)).ok);
        let global = "fd00dead000000000000000000000002 05 40 00 00 eth0\n";
        let c = ipv6_verdict(global, Some(refused));
        assert!(!c.ok && c.detail.contains("eth0"), "{}", c.detail);
        let sent = "PING 2001:db8::1 (2001:db8::1) 56 data bytes\n";
        assert!(!ipv6_verdict("", Some(sent)).ok);
        assert!(!ipv6_verdict("", Some("")).ok, "no evidence");
        assert!(ipv6_verdict("", None).ok);
    }
}
