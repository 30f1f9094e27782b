//! The verify matrix against the lab: every check passes on a connected
//! stack, the live kill-switch test passes and reports the downtime, and a
//! control experiment for each leak check turns it red with a message that
//! says what leaked:
//! - the real IP made equal to the exit address (this machine's echo
//!   request relayed through the VPN server);
//! - a DNS path opened outside the tunnel (the namespace's resolver set to
//!   the ISP router on the gateway's LAN);
//! - IPv6 switched on in a copy of the gateway;
//! - the firewall opened during the live kill-switch test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tvpn_testkit as lab;

use std::time::Duration;

use lab::{Profile, EXIT_IP, LAB, REAL_IP};
use tvpn_core::verify::{kill_switch, leaks};

const VPN: &str = "tvpn-lab-vpn";
const ROUTER: &str = "tvpn-lab-router";
const DNS: &str = "tvpn-lab-dns";

/// `tvpn verify --json [extra]`: the report.
fn verify(p: &Profile, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["verify", "--json"];
    args.extend_from_slice(extra);
    let out = p.tvpn(&args);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "verify printed no report ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn check<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name:?} in {report}"))
}

async fn gateway_knob(p: &Profile, args: &[&str]) -> String {
    let docker = lab::docker().await;
    let mut cmd = vec!["/gluetun-entrypoint", "lab"];
    cmd.extend_from_slice(args);
    lab::exec(&docker, &p.gateway_name(), &cmd).await
}

/// The lab DNS server's query lines since `since` (unix seconds).
fn dns_queries(since: u64) -> Vec<String> {
    let out = std::process::Command::new("docker")
        .args(["logs", "--since", &since.to_string(), DNS])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.lines()
        .filter(|l| l.contains("query[") && l.contains(leaks::WHOAMI_NAME))
        .map(str::to_owned)
        .collect()
}

fn now_s() -> u64 {
    lab::now_ms() / 1000
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn every_check_passes_and_the_live_test_reports_the_downtime() {
    let _one = LAB.lock().await;
    let p = Profile::new("matrix").await;
    p.connect();
    let since = now_s();
    let report = verify(&p, &[]);
    assert_eq!(report["protected"], true, "{report:#}");
    assert_eq!(report["checks"].as_array().unwrap().len(), 10, "{report:#}");
    for name in [leaks::IP_LEAK, leaks::DNS_LEAK, leaks::IPV6_LEAK] {
        assert_eq!(check(&report, name)["ok"], true, "{report:#}");
    }
    let ip = check(&report, leaks::IP_LEAK)["detail"].as_str().unwrap();
    assert!(ip.contains(EXIT_IP) && ip.contains(REAL_IP), "{ip}");
    // The lab's DNS server saw the resolver-identity query only from the
    // VPN exit: DNS went through the tunnel.
    let queries = dns_queries(since);
    assert!(
        !queries.is_empty(),
        "the lab DNS saw no {} query",
        leaks::WHOAMI_NAME
    );
    assert!(
        queries
            .iter()
            .all(|q| q.ends_with(&format!("from {EXIT_IP}"))),
        "{queries:#?}"
    );

    let report = verify(&p, &["--kill-switch"]);
    assert_eq!(report["protected"], true, "{report:#}");
    assert_eq!(check(&report, kill_switch::HOLDS)["ok"], true);
    assert_eq!(check(&report, kill_switch::BACK)["ok"], true);
    let downtime = report["kill_switch_downtime_ms"].as_u64().unwrap();
    eprintln!("live kill-switch test: the tunnel was down {downtime} ms");
    assert!(downtime > 0);
    // qBittorrent was neither stopped nor recreated by the test.
    let docker = lab::docker().await;
    let qb = lab::container(&docker, &p.qbittorrent_name())
        .await
        .unwrap();
    assert_eq!(qb.state.unwrap().restarting, Some(false));
    assert_eq!(qb.restart_count, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn control_the_real_ip_equal_to_the_exit_fails_the_ip_check() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let p = Profile::new("realip").await;
    p.connect();
    // This machine's echo request relayed through the VPN server: the echo
    // sees the exit address, as it would with the Mac itself on the VPN.
    lab::exec(
        &docker,
        VPN,
        &[
            "sh",
            "-c",
            "lab-relay 8080 10.222.0.10:80 >/dev/null 2>&1 &",
        ],
    )
    .await;
    let _relay = Cleanup(|| {
        let _ = std::process::Command::new("docker")
            .args(["exec", VPN, "pkill", "-f", "lab-relay 8080"])
            .status();
    });
    p.edit_settings(|s| {
        s["monitor"]["real_ip_url"] = format!("http://{EXIT_IP}:8080/").into();
    });
    let report = verify(&p, &[]);
    let c = check(&report, leaks::IP_LEAK);
    assert_eq!(c["ok"], false, "{report:#}");
    let detail = c["detail"].as_str().unwrap();
    assert_eq!(
        detail,
        format!("LEAK: the VPN IP {EXIT_IP} is your real IP {EXIT_IP}")
    );
    assert_eq!(report["protected"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn control_a_dns_path_outside_the_tunnel_fails_the_dns_check() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let p = Profile::new("dnsleak").await;
    p.connect();
    // The namespace's resolver is the ISP router (on the gateway's own LAN,
    // which gluetun's firewall lets through): DNS leaves outside the tunnel.
    lab::exec(&docker, ROUTER, &["lab-router", "dns-forwarder", "on"]).await;
    let _forwarder = Cleanup(|| {
        let _ = std::process::Command::new("docker")
            .args(["exec", ROUTER, "lab-router", "dns-forwarder", "off"])
            .status();
    });
    lab::exec(
        &docker,
        &p.gateway_name(),
        &[
            "sh",
            "-c",
            "echo 'nameserver 10.221.0.2' > /etc/resolv.conf",
        ],
    )
    .await;
    let since = now_s();
    let report = verify(&p, &[]);
    let c = check(&report, leaks::DNS_LEAK);
    assert_eq!(c["ok"], false, "{report:#}");
    let detail = c["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("LEAK") && detail.contains("10.221.0.2"),
        "{detail}"
    );
    // The query really left outside the tunnel: the lab DNS saw it from
    // the real address.
    lab::wait_for(
        "the lab DNS to log the leaked query",
        Duration::from_secs(5),
        async || {
            dns_queries(since)
                .iter()
                .any(|q| q.ends_with(&format!("from {REAL_IP}")))
                .then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn control_ipv6_on_in_a_copy_of_the_gateway_fails_the_ipv6_check() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let name = format!("tvpn-test-ipv6-{}", std::process::id());
    let run = |args: &[&str]| {
        let out = std::process::Command::new("docker")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "docker {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let _gone = Cleanup({
        let name = name.clone();
        move || {
            for args in [vec!["rm", "-f", &name], vec!["network", "rm", &name]] {
                let _ = std::process::Command::new("docker")
                    .args(&args)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status();
            }
        }
    });
    run(&[
        "network",
        "create",
        "--ipv6",
        "--subnet",
        "fd00:7e57:6::/64",
        "--label",
        "dev.torrentvpn.test=1",
        &name,
    ]);
    // The gateway's image, IPv6 left on: a gateway without the app's sysctls.
    let id = run(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        "dev.torrentvpn.test=1",
        "--network",
        &name,
        "--sysctl",
        "net.ipv6.conf.all.disable_ipv6=0",
        "--entrypoint",
        "sleep",
        "tvpn-lab/gateway:latest",
        "300",
    ]);
    let c = leaks::ipv6(&docker, &[id]).await;
    assert!(!c.ok, "{c:?}");
    assert!(
        c.detail.starts_with("LEAK") && c.detail.contains("global IPv6 address"),
        "{}",
        c.detail
    );
    // The app's own gateway, for contrast.
    let p = Profile::new("ipv6").await;
    p.connect();
    let gateway = lab::container(&docker, &p.gateway_name()).await.unwrap();
    let c = leaks::ipv6(&docker, &[gateway.id.unwrap()]).await;
    assert!(c.ok, "{c:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn control_the_firewall_open_during_the_live_test_fails_it() {
    let _one = LAB.lock().await;
    let p = Profile::new("ksopen").await;
    p.connect();
    gateway_knob(&p, &["firewall", "open"]).await;
    let report = verify(&p, &["--kill-switch"]);
    let c = check(&report, kill_switch::HOLDS);
    assert_eq!(c["ok"], false, "{report:#}");
    let detail = c["detail"].as_str().unwrap();
    assert_eq!(
        detail,
        format!("LEAK: with the VPN stopped, the IP echo answered {REAL_IP}")
    );
    gateway_knob(&p, &["firewall", "close"]).await;
}

/// Runs its closure when dropped (the test passed or not).
struct Cleanup<F: FnMut()>(F);

impl<F: FnMut()> Drop for Cleanup<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}
