//! The Docker engine stopping and coming back under a running `tvpn watch`:
//! `docker_stopped`, then `docker_back`, no crash, and events flowing again
//! without restarting the watcher.
//!
//! It restarts the engine (scripts/lib/restart-engine.sh), so `scripts/test`
//! runs it as a step of its own, after every other test that uses the
//! engine. The engine must run with `--live-restore` (scripts start it so),
//! which keeps the lab and the stack running meanwhile.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tvpn_testkit as lab;

use std::time::Duration;

use lab::{Profile, Watch};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "restarts the Docker engine"]
async fn engine_loss_and_return() {
    let docker = lab::docker().await;
    let info = docker.info().await.unwrap();
    assert_eq!(
        info.live_restore_enabled,
        Some(true),
        "the engine must run with --live-restore (scripts/lib/common.sh starts it so)"
    );
    let p = Profile::new("engine").await;
    p.connect();
    let mut watch = Watch::start(&p);
    watch
        .wait_state("protected", 0, Duration::from_secs(30))
        .await;

    let from = watch.len();
    let restart =
        std::process::Command::new(lab::workspace_root().join("scripts/lib/restart-engine.sh"))
            .arg("3")
            .status()
            .unwrap();
    assert!(restart.success(), "restarting the engine failed");
    watch
        .wait_event("docker_stopped", from, Duration::from_secs(30))
        .await;
    let back = watch
        .wait_event("docker_back", from, Duration::from_secs(60))
        .await;
    eprintln!("{back}");
    assert!(watch.alive(), "watch died with the engine");

    // Events flow again: the stack is still protected, and a port change
    // made after the engine returned is seen and synced.
    watch
        .wait_state("protected", from, Duration::from_secs(60))
        .await;
    let from_port = watch.len();
    let docker = lab::docker().await;
    lab::exec(
        &docker,
        &p.gateway_name(),
        &["/gluetun-entrypoint", "lab", "set-port", "43210"],
    )
    .await;
    watch
        .wait_event("port_changed", from_port, Duration::from_secs(30))
        .await;
    assert!(watch.alive());
    drop(watch);
    p.disconnect();
    lab::reset_natpmp(&docker).await;
}
