//! `scripts/bench`: the numbers against the lab, printed as one table.
//! Not a test (it judges nothing): `scripts/test` leaves it out, and
//! `scripts/bench` runs it with `--ignored`, built in release.
//!
//! - kill-switch detection latency over 20 tunnel cuts (median, max), and
//!   recovery latency, next to the seed's signal (gluetun's health check
//!   turning the container unhealthy);
//! - false alarms (`kill_switch_engaged`, `leak_detected`) in a soak under
//!   5 % loss and 100 ± 100 ms delay on the tunnel (`TVPN_BENCH_SOAK_S`
//!   seconds, 600 by default), next to the health check's;
//! - `tvpn watch`'s idle CPU and memory while protected;
//! - the menu-bar app (`app.rs`): cold start to its first tray model, its
//!   idle CPU and private memory while connected, and the whole cost of
//!   watching (`TVPN_BENCH_IDLE_PAIRS` pairs, 3 by default, of an
//!   unwatched and a watched `TVPN_BENCH_IDLE_S`-second window, 60 by
//!   default);
//! - `tvpn connect` to protected next to the seed's `docker compose up`
//!   on the same images (`compose.rs`), and their ratio;
//! - how fast connect fails on what gluetun refuses: a setting the app
//!   refuses itself, and a gateway that exits at start;
//! - the polling cost per tick with 1,000 torrents (`sync/maindata` with
//!   `rid` against the full list).
//!
//! Each figure is printed with its goal beside it, and the app's with the
//! machine's load.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tvpn_testkit as lab;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::models::{ContainerCreateBody, HostConfig, NetworkCreateRequest, PortBinding};
use bollard::query_parameters::{CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder};
use lab::{Profile, Watch};

#[path = "bench/app.rs"]
mod app;
#[path = "bench/compose.rs"]
mod compose;
#[path = "bench/cpu.rs"]
mod cpu;
#[path = "bench/impair.rs"]
mod impair;

const TRIALS: usize = 20;

/// The random wait before each cut spans more than one beat of the probe
/// (650 ms).
const CUT_PHASE_SPREAD: Duration = Duration::from_millis(1000);

/// A uniformly random duration below `max` (std's per-instance random hash
/// keys as the source).
fn random_below(max: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let r = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    Duration::from_micros(r % u64::try_from(max.as_micros()).unwrap_or(u64::MAX).max(1))
}

/// A whole number from the environment, else `default`.
fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Cut the tunnel at the VPN server (or end the cut): every datagram in or
/// out dropped. Returns when that took effect, by the server's clock (the
/// host's: one kernel), so that the figures leave out the `docker exec`.
async fn cut_server(docker: &bollard::Docker, cut: bool) -> u64 {
    let flag = if cut { "-I" } else { "-D" };
    let script =
        format!("iptables {flag} INPUT -j DROP && iptables {flag} OUTPUT -j DROP && date +%s%3N");
    let out = lab::exec(docker, "tvpn-lab-vpn", &["sh", "-c", &script]).await;
    out.trim()
        .parse()
        .unwrap_or_else(|_| panic!("cutting the tunnel: {out}"))
}

/// The container's Docker health status ("healthy", "unhealthy", …), empty
/// when it has none.
async fn health(docker: &bollard::Docker, name: &str) -> String {
    lab::container(docker, name)
        .await
        .and_then(|c| c.state)
        .and_then(|s| s.health)
        .and_then(|h| h.status)
        .map(|s| s.to_string())
        .unwrap_or_default()
}

fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench"]
async fn bench_monitor() {
    let docker = lab::docker().await;
    let mut rows: Vec<Row> = vec![row("the machine at the start", cpu::load(), "(reference)")];

    // -- detection and recovery latency
    let p = Profile::new("bench").await;
    p.connect();
    let watch = Watch::start(&p);
    watch
        .wait_state("protected", 0, Duration::from_secs(30))
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Idle: 60 s of a protected, quiet stack.
    let cpu0 = cpu::process_seconds(watch.pid());
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(60)).await;
    let idle_cpu = (cpu::process_seconds(watch.pid()) - cpu0) / t0.elapsed().as_secs_f64() * 100.0;
    let idle_rss = lab::rss_kib(watch.pid());

    let mut detect = Vec::new();
    let mut recover = Vec::new();
    for _ in 0..TRIALS {
        // At a random phase of the probe's beat: the verify before each cut
        // ends a near-constant time after the last recovery, which came
        // with a beat's reply, so cutting at once would hit one phase only.
        tokio::time::sleep(random_below(CUT_PHASE_SPREAD)).await;
        let from = watch.len();
        let cut = cut_server(&docker, true).await;
        let e = watch
            .wait_event("kill_switch_engaged", from, Duration::from_secs(30))
            .await;
        detect.push(e["at_ms"].as_u64().unwrap().saturating_sub(cut));
        let from = watch.len();
        let back = cut_server(&docker, false).await;
        let r = watch
            .wait_event("recovered", from, Duration::from_secs(60))
            .await;
        recover.push(r["at_ms"].as_u64().unwrap().saturating_sub(back));
        // The session verifies protection after each recovery: the next
        // cut waits for its report, as a user's next outage would.
        lab::wait_for(
            "the verify after the recovery",
            Duration::from_secs(60),
            async || {
                watch
                    .values()
                    .into_iter()
                    .skip(from)
                    .any(|v| v["type"] == "verified")
                    .then_some(())
            },
        )
        .await;
    }
    let dmax = *detect.iter().max().unwrap();
    let rmax = *recover.iter().max().unwrap();
    rows.push(row(
        format!("kill switch engaged after a tunnel cut ({TRIALS} trials)"),
        format!("median {} ms, max {dmax} ms", median(&mut detect)),
        "median ≤ 600 ms, max ≤ 1 s",
    ));
    rows.push(row(
        format!("recovered after the tunnel returns ({TRIALS} trials)"),
        format!("median {} ms, max {rmax} ms", median(&mut recover)),
        "≤ 1 s",
    ));

    // The seed's signal: gluetun's own health check marking the container
    // unhealthy (one trial; it takes about a minute).
    let from = watch.len();
    let cut = Instant::now();
    let cut_ms = cut_server(&docker, true).await;
    let gateway = p.gateway_name();
    let mut seed = None;
    while cut.elapsed() < Duration::from_secs(240) {
        let health = health(&docker, &gateway).await;
        if health == "unhealthy" {
            seed = Some(cut.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let ours = watch
        .events("kill_switch_engaged", from)
        .first()
        .map(|e| e["at_ms"].as_u64().unwrap());
    let back = watch.len();
    let restored = Instant::now();
    cut_server(&docker, false).await;
    // After a cut this long the tunnel can take a minute to come back.
    watch
        .wait_state("protected", back, Duration::from_secs(240))
        .await;
    let long_recovery = restored.elapsed();
    rows.push(row(
        "the seed's signal: Docker health \"unhealthy\" after the same cut",
        format!(
            "{} (the monitor's kill_switch_engaged: {}; protected again {:.1} s after this long cut ended)",
            seed.map_or("not within 240 s".to_owned(), |d| format!(
                "{:.1} s",
                d.as_secs_f64()
            )),
            ours.map_or("none".to_owned(), |at| format!("{} ms", at - cut_ms)),
            long_recovery.as_secs_f64(),
        ),
        "(reference)",
    ));

    // -- false alarms under loss and jitter
    rows.push(soak(&docker, &watch, &p).await);
    rows.push(row(
        "monitor idle CPU while protected (60 s)",
        format!("{idle_cpu:.2} % of one core"),
        "≤ 0.2 % of one core",
    ));
    rows.push(row(
        "monitor resident memory",
        format!("{:.1} MiB", idle_rss as f64 / 1024.0),
        "≤ 30 MiB",
    ));
    drop(watch);
    p.disconnect();
    drop(p);

    // -- the menu-bar app; connect next to the seed's compose
    rows.extend(app_and_compose(&docker).await);

    // -- connect against what gluetun refuses
    rows.extend(refusal_times(&docker).await);

    // -- polling cost with 1,000 torrents
    rows.extend(maindata_cost(&docker).await);

    println!();
    println!("| measure | value | goal |");
    println!("|---|---|---|");
    for (k, v, goal) in rows {
        println!("| {k} | {v} | {goal} |");
    }
}

/// Kill-switch and leak events from `tvpn watch` during
/// `TVPN_BENCH_SOAK_S` seconds of 5 % loss and 100 ± 100 ms delay on the
/// tunnel, next to the times gluetun's health check turned unhealthy.
async fn soak(docker: &bollard::Docker, watch: &Watch, p: &Profile) -> Row {
    let secs = env_u64("TVPN_BENCH_SOAK_S", 600);
    let netem = impair::Netem {
        loss_percent: 5,
        delay_ms: 100,
        jitter_ms: 100,
    };
    let from = watch.len();
    let impairment = impair::Impairment::apply(&netem, secs);
    let gateway = p.gateway_name();
    let (mut unhealthy, mut was_unhealthy) = (0, false);
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(secs) {
        let health = health(docker, &gateway).await;
        let now_unhealthy = health == "unhealthy";
        if now_unhealthy && !was_unhealthy {
            unhealthy += 1;
        }
        was_unhealthy = now_unhealthy;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let engaged = watch.events("kill_switch_engaged", from).len();
    let leaks = watch.events("leak_detected", from).len();
    let mut states: Vec<String> = watch
        .values()
        .into_iter()
        .skip(from)
        .filter(|v| v["type"] == "snapshot")
        .filter_map(|v| v["snapshot"]["state"]["state"].as_str().map(str::to_owned))
        .collect();
    states.dedup();
    let how = impairment.how.clone();
    drop(impairment);
    // `tvpn watch` prints a snapshot when it changes: the last one is the
    // state now.
    lab::wait_for(
        "protected after the soak",
        Duration::from_secs(120),
        async || {
            let last = watch
                .values()
                .into_iter()
                .rev()
                .find(|v| v["type"] == "snapshot")?;
            (last["snapshot"]["state"]["state"] == "protected").then_some(())
        },
    )
    .await;
    row(
        format!("false alarms in a {secs} s soak: 5 % loss, 100 ± 100 ms delay on the tunnel ({how})"),
        format!(
            "{engaged} kill_switch_engaged, {leaks} leak_detected; state changes: {}; gluetun's health check turned unhealthy {unhealthy} times ({})",
            if states.is_empty() {
                "none (protected throughout)".to_owned()
            } else {
                states.join(" → ")
            },
            cpu::load()
        ),
        "0 false alarms",
    )
}

/// The app's figures (when there is a display and a release app), and
/// `tvpn connect` next to the seed's compose on one profile.
async fn app_and_compose(docker: &bollard::Docker) -> Vec<Row> {
    let mut rows = Vec::new();
    let p = Profile::new("app").await;
    let bin = app::app_bin();
    let app_runs = std::env::var_os("DISPLAY").is_some() && bin.exists();
    if app_runs {
        let starts = env_u64("TVPN_BENCH_STARTS", 5) as usize;
        rows.extend(app::cold_start(&p, starts).await);
    } else {
        rows.push(row(
            "the app's figures",
            format!(
                "not measured: no DISPLAY or no {} (scripts/bench provides both)",
                bin.display()
            ),
            "",
        ));
    }

    let trials = env_u64("TVPN_BENCH_CONNECTS", 3) as usize;
    if let Some(compose) = compose::Compose::new(&p) {
        let (mut ours, mut seed) = (Vec::new(), Vec::new());
        for _ in 0..trials {
            let t0 = Instant::now();
            p.connect();
            ours.push(t0.elapsed().as_millis() as u64);
            p.disconnect();
            seed.push(compose.up(docker).await.as_millis() as u64);
            compose.down();
        }
        let (o, s) = (median(&mut ours), median(&mut seed));
        rows.push(row(
            format!("tvpn connect → protected and running (median of {trials}; the first with new volumes)"),
            format!("{o} ms ({})", cpu::load()),
            "(reference)",
        ));
        rows.push(row(
            format!(
                "the seed's compose up → gateway healthy, qBittorrent running (median of {trials}; compose {})",
                compose.version
            ),
            format!("{s} ms"),
            "(reference)",
        ));
        rows.push(row(
            "connect time / compose up time",
            format!("{:.2}", o as f64 / s as f64),
            "(the ratio is the figure)",
        ));
    } else {
        rows.push(row(
            "connect next to the seed's compose",
            "not measured: no docker compose (scripts/bench installs docker-compose)",
            "",
        ));
    }

    if app_runs {
        p.connect();
        let window = Duration::from_secs(env_u64("TVPN_BENCH_IDLE_S", 60));
        let pairs = env_u64("TVPN_BENCH_IDLE_PAIRS", 3) as usize;
        rows.extend(app::idle(docker, &p, window, pairs).await);
        p.disconnect();
    }
    rows
}

/// One line of the table: the measure, the figure, its goal.
type Row = (String, String, String);

fn row(measure: impl Into<String>, value: impl Into<String>, goal: &str) -> Row {
    (measure.into(), value.into(), goal.to_owned())
}

/// `tvpn connect` with a setting real gluetun refuses (the app refuses it
/// first), and with a gateway image that exits at start (connect notices
/// it and stops): wall time until connect exits, median of 5.
async fn refusal_times(docker: &bollard::Docker) -> Vec<Row> {
    let p = Profile::new("refusals").await;
    let saved = p.settings();
    let mut refused = Vec::new();
    p.edit_settings(|s| {
        s["stack"]["gateway_env"]
            .as_table_mut()
            .unwrap()
            .insert("LOG_LEVEL".to_owned(), "loud".into());
    });
    for _ in 0..5 {
        let t0 = Instant::now();
        let out = p.tvpn(&["connect"]);
        assert!(!out.status.success());
        refused.push(t0.elapsed().as_millis() as u64);
    }
    let image = "tvpn-lab/gateway-exits:bench";
    lab::build_exiting_gateway(image);
    p.write_settings(&saved);
    p.edit_settings(|s| s["stack"]["gateway_image"] = image.into());
    let mut fatal = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        let out = p.tvpn(&["connect"]);
        assert!(!out.status.success());
        fatal.push(t0.elapsed().as_millis() as u64);
        assert!(lab::container(docker, &p.gateway_name()).await.is_none());
    }
    p.write_settings(&saved);
    drop(p);
    let _ = std::process::Command::new("docker")
        .args(["rmi", "-f", image])
        .output();
    vec![
        row(
            "a setting gluetun refuses → connect failed, nothing created (5 trials)",
            format!("median {} ms", median(&mut refused)),
            "< 2 s",
        ),
        row(
            "gateway fatal at start → connect failed, gateway removed (5 trials)",
            format!("median {} ms", median(&mut fatal)),
            "< 10 s",
        ),
    ]
}

/// A qBittorrent 5.1 on an internal network of its own, with 1,000
/// trackerless torrents that contact nobody; the bytes of one steady-state
/// `sync/maindata` tick against the full list.
async fn maindata_cost(docker: &bollard::Docker) -> Vec<Row> {
    let name = format!("tvpn-bench-qbit-{}", std::process::id());
    let net = docker
        .create_network(NetworkCreateRequest {
            name: name.clone(),
            driver: Some("bridge".to_owned()),
            labels: Some(HashMap::from([(
                "dev.torrentvpn.test".to_owned(),
                "1".to_owned(),
            )])),
            ..Default::default()
        })
        .await
        .unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let key = format!("{port}/tcp");
    let created = docker
        .create_container(
            Some(CreateContainerOptionsBuilder::default().name(&name).build()),
            ContainerCreateBody {
                image: Some("tvpn-lab/qbittorrent:5.1".to_owned()),
                env: Some(vec![format!("WEBUI_PORT={port}")]),
                labels: Some(HashMap::from([(
                    "dev.torrentvpn.test".to_owned(),
                    "1".to_owned(),
                )])),
                exposed_ports: Some(vec![key.clone()]),
                host_config: Some(HostConfig {
                    network_mode: Some(name.clone()),
                    port_bindings: Some(HashMap::from([(
                        key,
                        Some(vec![PortBinding {
                            host_ip: Some("127.0.0.1".to_owned()),
                            host_port: Some(port.to_string()),
                        }]),
                    )])),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    docker.start_container(&created.id, None).await.unwrap();
    let password = lab::wait_for(
        "the temporary password",
        Duration::from_secs(60),
        async || tvpn_core::qbittorrent::parse_temporary_password(&lab::logs(docker, &name).await),
    )
    .await;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .no_proxy()
        .build()
        .unwrap();
    lab::wait_for("the Web UI", Duration::from_secs(30), async || {
        http.get(&base).send().await.ok().map(|_| ())
    })
    .await;
    use secrecy::ExposeSecret;
    let login = http
        .post(format!("{base}/api/v2/auth/login"))
        .form(&[
            ("username", "admin"),
            ("password", password.expose_secret()),
        ])
        .send()
        .await
        .unwrap();
    assert!(login.status().is_success());
    let mut urls = String::new();
    for i in 0..1000u32 {
        let hash = format!("{:040x}", u128::from(i) * 7_919 + 1);
        urls.push_str(&format!("magnet:?xt=urn:btih:{hash}&dn=bench-{i}\n"));
    }
    let add = http
        .post(format!("{base}/api/v2/torrents/add"))
        .multipart(
            reqwest::multipart::Form::new()
                .text("urls", urls)
                .text("stopped", "true")
                .text("paused", "true"),
        )
        .send()
        .await
        .unwrap();
    assert!(add.status().is_success(), "adding the torrents failed");
    let count = lab::wait_for("1,000 torrents", Duration::from_secs(60), async || {
        let body = http
            .get(format!("{base}/api/v2/torrents/info"))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        let n = serde_json::from_str::<Vec<serde_json::Value>>(&body)
            .ok()?
            .len();
        (n >= 1000).then_some(n)
    })
    .await;
    let get = async |url: String| {
        let t = Instant::now();
        let body = http.get(url).send().await.unwrap().bytes().await.unwrap();
        (body, t.elapsed())
    };
    let (full, full_t) = get(format!("{base}/api/v2/sync/maindata?rid=0")).await;
    let rid = serde_json::from_slice::<serde_json::Value>(&full).unwrap()["rid"]
        .as_u64()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (tick, tick_t) = get(format!("{base}/api/v2/sync/maindata?rid={rid}")).await;
    let (info, info_t) = get(format!("{base}/api/v2/torrents/info")).await;
    let _ = docker
        .remove_container(
            &created.id,
            Some(
                RemoveContainerOptionsBuilder::default()
                    .force(true)
                    .v(true)
                    .build(),
            ),
        )
        .await;
    let _ = docker.remove_network(&net.id).await;
    vec![
        row(
            format!("polling, {count} torrents: sync/maindata steady tick (rid)"),
            format!("{} B in {} ms", tick.len(), tick_t.as_millis()),
            "≤ 1 KB per tick",
        ),
        row(
            format!("polling, {count} torrents: sync/maindata full (rid=0)"),
            format!("{} B in {} ms", full.len(), full_t.as_millis()),
            "(once per session)",
        ),
        row(
            format!("polling, {count} torrents: torrents/info (the naive way)"),
            format!("{} B in {} ms", info.len(), info_t.as_millis()),
            "(reference)",
        ),
    ]
}
