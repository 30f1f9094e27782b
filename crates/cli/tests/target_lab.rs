//! The user's intent against the lab: a connect stopped from another
//! process (a disconnect, which sets the persisted target) or by Ctrl-C
//! removes what it started and ends with exit 3; a stack whose target is
//! "disconnected" is never started again behind the user's back, by
//! `tvpn reconcile` or by the healer of `tvpn watch`.
//!
//! A profile whose WireGuard key the lab's server does not know never gets
//! its tunnel: its connect waits at "Waiting for the tunnel" for as long as
//! the test needs, without touching the lab that other tests share.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tvpn_testkit as lab;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use lab::{container, running, Profile, Watch, LAB};

/// A valid WireGuard private key the lab's server has never heard of.
const UNKNOWN_KEY: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

fn target(p: &Profile) -> serde_json::Value {
    let text = std::fs::read_to_string(p.dir.path().join("target.json")).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// `tvpn connect` in the background, once it waits for the tunnel.
async fn connect_waiting(p: &Profile) -> Child {
    let child = p
        .command(&["connect"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    lab::wait_for(
        "the connect to wait for the tunnel (target.json)",
        Duration::from_secs(90),
        async || (target(p)["connecting"]["step"] == "waiting_for_tunnel").then_some(()),
    )
    .await;
    child
}

/// The child's exit code, within a minute.
fn exit_code(mut child: Child) -> (Option<i32>, String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stderr).into_owned();
            eprintln!("tvpn connect -> {:?}\n{text}", status.code());
            return (status.code(), text);
        }
        assert!(
            Instant::now() < deadline,
            "tvpn connect did not end within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn assert_nothing_left(p: &Profile, when: &str) {
    let docker = lab::docker().await;
    for name in [p.gateway_name(), p.qbittorrent_name()] {
        assert!(
            container(&docker, &name).await.is_none(),
            "{when}: {name} remains"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn a_disconnect_elsewhere_or_ctrl_c_cancels_a_connect() {
    let _one = LAB.lock().await;
    let p = Profile::new("intent").await;
    p.set_secret("wireguard-private-key", UNKNOWN_KEY);

    // 1. `tvpn disconnect` in another process while `tvpn connect` waits.
    let child = connect_waiting(&p).await;
    assert_eq!(target(&p)["target"], "connected");
    assert!(
        running(&container(&lab::docker().await, &p.gateway_name()).await),
        "the connect's gateway runs while it waits"
    );
    let t0 = Instant::now();
    let out = p.tvpn(&["disconnect"]);
    assert!(out.status.success());
    let (code, stderr) = exit_code(child);
    eprintln!("disconnect -> connect ended in {:?}", t0.elapsed());
    assert_eq!(code, Some(3), "a cancelled connect exits 3: {stderr}");
    assert!(stderr.contains("connect cancelled"), "{stderr}");
    assert_nothing_left(&p, "after a disconnect cancelled the connect").await;
    assert_eq!(target(&p)["target"], "disconnected");
    assert!(target(&p).get("connecting").is_none(), "{}", target(&p));

    // 2. Ctrl-C on `tvpn connect`.
    let child = connect_waiting(&p).await;
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let (code, stderr) = exit_code(child);
    assert_eq!(code, Some(3), "Ctrl-C cancels: {stderr}");
    assert_nothing_left(&p, "after Ctrl-C").await;
    assert_eq!(target(&p)["target"], "disconnected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn a_stack_whose_target_is_disconnected_is_not_started_again() {
    let _one = LAB.lock().await;
    let docker = lab::docker().await;
    let p = Profile::new("offtarget").await;
    p.connect();
    assert_eq!(target(&p)["target"], "connected");

    // A disconnect that set the target and then died before removing
    // anything: the containers are still there.
    let mut record = target(&p);
    record["target"] = "disconnected".into();
    record["seq"] = (record["seq"].as_u64().unwrap() + 1).into();
    std::fs::write(
        p.dir.path().join("target.json"),
        serde_json::to_vec(&record).unwrap(),
    )
    .unwrap();

    // The healer of `tvpn watch` finishes the disconnect rather than
    // healing the stack back.
    let watch = Watch::start(&p);
    lab::wait_for(
        "the healer to remove the stack",
        Duration::from_secs(60),
        async || {
            let gone = container(&docker, &p.gateway_name()).await.is_none()
                && container(&docker, &p.qbittorrent_name()).await.is_none();
            gone.then_some(())
        },
    )
    .await;
    let healed: Vec<_> = watch
        .values()
        .into_iter()
        .filter(|v| v["type"] == "heal")
        .collect();
    assert!(
        healed
            .iter()
            .any(|h| h.to_string().contains("the target is disconnected")),
        "{healed:?}"
    );
    drop(watch);

    // A gateway started again behind the user's back: reconcile removes
    // it, and starts no qBittorrent.
    let out = p.tvpn(&["connect"]);
    assert!(out.status.success());
    let out = p.tvpn(&["disconnect"]);
    assert!(out.status.success());
    let out = p.tvpn(&["connect"]);
    assert!(out.status.success());
    std::fs::write(
        p.dir.path().join("target.json"),
        serde_json::to_vec(&{
            let mut r = target(&p);
            r["target"] = "disconnected".into();
            r["seq"] = (r["seq"].as_u64().unwrap() + 1).into();
            r
        })
        .unwrap(),
    )
    .unwrap();
    let stop = std::process::Command::new("docker")
        .args(["restart", "-t", "1", &p.gateway_name()])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(stop.success());
    let out = p.tvpn(&["reconcile", "--json"]);
    assert!(out.status.success());
    let outcome: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["now"]["outcome"], "disconnected", "{outcome}");
    assert_nothing_left(&p, "after reconcile with the target disconnected").await;
}
