//! The monitor through `tvpn watch --json`, against the lab: a tunnel cut
//! at the VPN server, a leak while the tunnel is down (and the gateway's
//! warning about it, as the window shows it), port sync, 50 flaps,
//! and a sleeping machine (the stack paused for 35 s).
//!
//! `#[ignore = "needs the lab"]`; `scripts/test` runs them after
//! `scripts/lab up`. Latencies are printed for the log (scripts/bench
//! reports them); assertions wait with generous limits and never judge speed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tvpn_testkit as lab;

use std::time::{Duration, Instant};

use bollard::Docker;
use lab::{Profile, Watch, LAB};
use secrecy::SecretString;
use tvpn_core::qbittorrent::{MainDataState, QbitClient};
use tvpn_core::secrets::SecretKind;

const VPN: &str = "tvpn-lab-vpn";

async fn qbit(p: &Profile) -> QbitClient {
    let password = p.secret(SecretKind::QbittorrentPassword).await.unwrap();
    let qb = QbitClient::new(&format!("http://127.0.0.1:{}", p.webui_port), "admin").unwrap();
    qb.login(&SecretString::from(password)).await.unwrap();
    qb
}

/// Drop (or accept again) WireGuard at the VPN server: the tunnel goes
/// silent without any interface going away.
async fn server_drops_wireguard(docker: &Docker, drop: bool) {
    let flag = if drop { "-I" } else { "-D" };
    lab::exec(
        docker,
        VPN,
        &[
            "iptables", flag, "INPUT", "-p", "udp", "--dport", "51820", "-j", "DROP",
        ],
    )
    .await;
}

/// Cut the VPN server off the network (and back): every packet in or out
/// of it is dropped, its interfaces stay.
async fn cut_server(docker: &Docker, cut: bool) {
    let flag = if cut { "-I" } else { "-D" };
    for chain in ["INPUT", "OUTPUT"] {
        lab::exec(docker, VPN, &["iptables", flag, chain, "-j", "DROP"]).await;
    }
}

async fn gateway_knob(docker: &Docker, p: &Profile, args: &[&str]) -> String {
    let mut cmd = vec!["/gluetun-entrypoint", "lab"];
    cmd.extend_from_slice(args);
    lab::exec(docker, &p.gateway_name(), &cmd).await
}

async fn protected(p: &Profile) -> Watch {
    p.connect();
    let watch = Watch::start(p);
    watch
        .wait_state("protected", 0, Duration::from_secs(30))
        .await;
    watch
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn tunnel_cut_leak_and_recovery() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let p = Profile::new("drop").await;
    lab::fresh_seeder(&docker).await;
    let watch = protected(&p).await;

    // A download, slowed so that it is still running across the cut.
    let qb = qbit(&p).await;
    qb.set_preferences(&serde_json::json!({ "dl_limit": 3_000_000 }))
        .await
        .unwrap();
    qb.add_torrent_url(lab::MEDIUM_TORRENT, None).await.unwrap();
    let mut state = MainDataState::new();
    lab::wait_for(
        "the download under way",
        Duration::from_secs(60),
        async || {
            qb.sync(&mut state).await.unwrap();
            state
                .torrents()
                .any(|(_, t)| t.progress > 0.05)
                .then_some(())
        },
    )
    .await;

    // 1. The VPN server cut from the network, then back: the kill switch
    //    holds, and the transfer goes on over the same connections.
    let from = watch.len();
    let cut = lab::now_ms();
    cut_server(&docker, true).await;
    let engaged = watch
        .wait_event("kill_switch_engaged", from, Duration::from_secs(20))
        .await;
    eprintln!(
        "cut -> kill_switch_engaged in {} ms",
        engaged["at_ms"].as_u64().unwrap() - cut
    );
    assert!(
        engaged["message"]
            .as_str()
            .unwrap()
            .contains("block verified"),
        "{engaged}"
    );
    let progress_at_cut = {
        qb.sync(&mut state).await.unwrap();
        state.torrents().next().unwrap().1.progress
    };
    let from_back = watch.len();
    let restored = lab::now_ms();
    cut_server(&docker, false).await;
    let recovered = watch
        .wait_event("recovered", from_back, Duration::from_secs(60))
        .await;
    eprintln!(
        "server back -> recovered in {} ms",
        recovered["at_ms"].as_u64().unwrap() - restored
    );
    // The same connections usually carry on at once; a peer connection the
    // cut did break is tried again after libtorrent's `min_reconnect_time`
    // (60 s), hence the margin. Each change is printed for the log.
    let mut seen = String::new();
    lab::wait_for(
        "the torrent to resume",
        Duration::from_secs(150),
        async || {
            qb.sync(&mut state).await.unwrap();
            let t = state.torrents().next()?.1;
            let now = format!("{} {:.3}", t.state, t.progress);
            if now != seen {
                eprintln!("torrent: {now} (at the cut: {progress_at_cut:.3})");
                seen = now;
            }
            (t.progress > progress_at_cut + 0.02 || t.progress >= 1.0).then_some(())
        },
    )
    .await;
    assert!(watch.events("leak_detected", from).is_empty());

    // 2. Cut again, and the firewall opened (a lab knob) while the tunnel is
    //    down: a leak.
    let from = watch.len();
    cut_server(&docker, true).await;
    watch
        .wait_event("kill_switch_engaged", from, Duration::from_secs(20))
        .await;
    let from_leak = watch.len();
    let opened = lab::now_ms();
    gateway_knob(&docker, &p, &["firewall", "open"]).await;
    let leak = watch
        .wait_event("leak_detected", from_leak, Duration::from_secs(20))
        .await;
    eprintln!(
        "firewall open -> leak_detected in {} ms",
        leak["at_ms"].as_u64().unwrap() - opened
    );
    assert_eq!(leak["notify"], true);
    // The gateway's warning about it reaches the session as it came (the
    // window's gateway log shows it).
    let warned = lab::wait_for(
        "the gateway's warning in the watch",
        Duration::from_secs(10),
        async || {
            watch.values().into_iter().skip(from_leak).find(|v| {
                v["type"] == "gateway_log"
                    && v["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("firewall policies set to ACCEPT"))
            })
        },
    )
    .await;
    assert_eq!(
        (&warned["level"], &warned["component"]),
        (&serde_json::json!("warn"), &serde_json::json!("firewall")),
        "{warned}"
    );
    gateway_knob(&docker, &p, &["firewall", "close"]).await;
    watch
        .wait_state("kill_switch_engaged", from_leak, Duration::from_secs(20))
        .await;
    let from_back = watch.len();
    cut_server(&docker, false).await;
    watch
        .wait_event("recovered", from_back, Duration::from_secs(60))
        .await;

    // 4. Port sync: the provider forwards another port.
    let from_port = watch.len();
    let changed = Instant::now();
    gateway_knob(&docker, &p, &["set-port", "42424"]).await;
    watch
        .wait_event("port_changed", from_port, Duration::from_secs(20))
        .await;
    lab::wait_for(
        "listen_port 42424 in qBittorrent",
        Duration::from_secs(20),
        async || {
            let prefs = qb.preferences().await.ok()?;
            (prefs.listen_port == Some(42424)
                && prefs.current_network_interface.as_deref() == Some("tun0"))
            .then_some(())
        },
    )
    .await;
    eprintln!(
        "set-port -> qBittorrent listen_port in {:?}",
        changed.elapsed()
    );
    drop(watch);
    p.disconnect();
    lab::reset_natpmp(&docker).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn fifty_flaps() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let p = Profile::new("flap").await;
    let mut watch = protected(&p).await;
    let start = watch.len();
    let rss_before = lab::rss_kib(watch.pid());
    let t0 = Instant::now();
    for flap in 0..50 {
        let from = watch.len();
        server_drops_wireguard(&docker, true).await;
        watch
            .wait_event("kill_switch_engaged", from, Duration::from_secs(20))
            .await;
        let from = watch.len();
        server_drops_wireguard(&docker, false).await;
        watch
            .wait_event("recovered", from, Duration::from_secs(30))
            .await;
        assert!(watch.alive(), "watch died at flap {flap}");
    }
    let elapsed = t0.elapsed();
    let rss_after = lab::rss_kib(watch.pid());
    let engaged = watch.events("kill_switch_engaged", start).len();
    let recovered = watch.events("recovered", start).len();
    let notified = watch
        .values()
        .into_iter()
        .skip(start)
        .filter(|v| {
            v["type"] == "event"
                && v["notify"] == true
                && (v["kind"] == "kill_switch_engaged" || v["kind"] == "recovered")
        })
        .count();
    eprintln!(
        "50 flaps in {elapsed:?}: {engaged} engaged, {recovered} recovered, {notified} \
         notifications; watch RSS {rss_before} -> {rss_after} KiB"
    );
    assert_eq!(
        (engaged, recovered),
        (50, 50),
        "a transition was missed or doubled"
    );
    assert!(watch.events("leak_detected", start).is_empty());
    // One alert per kind per minute at most (the rest are events without a
    // notification).
    let windows = usize::try_from(elapsed.as_secs() / 60).unwrap() + 1;
    assert!(
        notified <= 2 * windows,
        "{notified} notifications in {elapsed:?}"
    );
    // Flat: no growth beyond allocator noise.
    assert!(
        rss_after < rss_before + 16 * 1024,
        "watch grew from {rss_before} to {rss_after} KiB"
    );
    drop(watch);
    p.disconnect();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn sleep_and_wake() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let p = Profile::new("sleep").await;
    let mut watch = protected(&p).await;
    let from = watch.len();
    for c in [p.qbittorrent_name(), p.gateway_name()] {
        docker.pause_container(&c).await.unwrap();
    }
    // Longer than the steady ping's deadline (10 s) and the control
    // server's poll (30 s): both come due while the gateway sleeps.
    tokio::time::sleep(Duration::from_secs(35)).await;
    assert!(watch.alive(), "watch died during the pause");
    let woke = lab::now_ms();
    for c in [p.gateway_name(), p.qbittorrent_name()] {
        docker.unpause_container(&c).await.unwrap();
    }
    let recovered = watch
        .wait_event("recovered", from, Duration::from_secs(30))
        .await;
    eprintln!(
        "wake -> recovered in {} ms",
        recovered["at_ms"].as_u64().unwrap().saturating_sub(woke)
    );
    // Settle, then count.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(watch.alive());
    assert!(
        watch.events("leak_detected", from).is_empty(),
        "{}",
        watch.text()
    );
    assert_eq!(watch.events("recovered", from).len(), 1, "{}", watch.text());
    drop(watch);
    p.disconnect();
}
