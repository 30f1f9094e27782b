//! The menu-bar app's figures: the release `torrent-vpn` (built with the
//! `lab` feature for its test hooks) on the display `scripts/bench` starts
//! (Xvfb with a tray host), on a copy of the lab's demo profile.
//!
//! - cold start: from spawning the app to the first menu model it applies
//!   (the hook writes each applied model, with its time, to
//!   `menu-history.jsonl`), and to the first that shows the stack's state
//!   rather than "Status unknown";
//! - the app's idle CPU and private dirty memory while connected with no
//!   window open;
//! - the whole cost of watching: the app, dockerd, containerd, the stack's
//!   two containers and their shims while the app watches, less the same
//!   without any watcher.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tvpn_testkit as lab;

use super::cpu;
use super::{median, row, Row};
use lab::Profile;

/// The release app beside the release `tvpn` the test runs, unless
/// `TVPN_BENCH_APP` names another.
pub fn app_bin() -> PathBuf {
    std::env::var_os("TVPN_BENCH_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| lab::tvpn_bin().with_file_name("torrent-vpn"))
}

pub struct App {
    child: Child,
    hooks: tempfile::TempDir,
    /// When it was spawned (ms since the epoch).
    pub spawned_ms: u64,
}

impl App {
    pub fn start(p: &Profile) -> Self {
        let hooks = tempfile::tempdir().unwrap();
        let spawned_ms = lab::now_ms();
        let child = Command::new(app_bin())
            .env("TVPN_CONFIG_DIR", p.dir.path())
            .env("TVPN_TEST_HOOKS", hooks.path())
            // Only what the app shows: no command file polled, as in a
            // release build.
            .env("TVPN_TEST_HOOKS_COMMANDS", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self {
            child,
            hooks,
            spawned_ms,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The menu models applied so far: (time in ms, status line).
    pub fn history(&self) -> Vec<(u64, String)> {
        std::fs::read_to_string(self.hooks.path().join("menu-history.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|v| {
                (
                    v["at_ms"].as_u64().unwrap_or(0),
                    v["model"]["status_line"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }

    /// The first applied model whose status line starts with `prefix`.
    pub async fn wait_status(&mut self, prefix: &str, timeout: Duration) -> u64 {
        let what = format!("the tray showing {prefix}");
        lab::wait_for(&what, timeout, async || {
            assert!(matches!(self.child.try_wait(), Ok(None)), "the app exited");
            self.history()
                .into_iter()
                .find(|(_, s)| s.starts_with(prefix))
                .map(|(at, _)| at)
        })
        .await
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.pid().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawn to the first applied menu model, and to the first with the
/// stack's state, over `trials` starts of the app (disconnected).
pub async fn cold_start(p: &Profile, trials: usize) -> Vec<Row> {
    let mut first = Vec::new();
    let mut state = Vec::new();
    for _ in 0..trials {
        let mut app = App::start(p);
        let shown = app
            .wait_status("Disconnected", Duration::from_secs(60))
            .await;
        let history = app.history();
        first.push(history[0].0 - app.spawned_ms);
        state.push(shown - app.spawned_ms);
        drop(app);
    }
    let load = cpu::load();
    let max = *first.iter().max().unwrap();
    vec![
        row(
            format!("app cold start → first tray model ({trials} starts, release)"),
            format!("median {} ms, max {max} ms ({load})", median(&mut first)),
            "≤ 300 ms",
        ),
        row(
            format!("app cold start → tray shows the stack's state ({trials} starts)"),
            format!("median {} ms ({load})", median(&mut state)),
            "(reference)",
        ),
    ]
}

/// The parts whose CPU time the whole cost counts, each apart: the engine
/// (dockerd and its `docker-proxy`s, which carry the app's requests to the
/// published ports), containerd and the two containers' shims, each
/// container's cgroup, and the app with its children; and the tunnel
/// itself (the gateway's `wireguard-go`), a part of the gateway's.
struct Parts {
    engine: Vec<u32>,
    containerd: Vec<u32>,
    gateway: u32,
    qbittorrent: u32,
    app: Option<u32>,
    tunnel: Option<u32>,
}

/// CPU seconds so far (or percent of one core over a window), per part.
#[derive(Clone, Copy, Default)]
struct Cost {
    engine: f64,
    containerd: f64,
    gateway: f64,
    tunnel: f64,
    qbittorrent: f64,
    app: f64,
}

impl Cost {
    /// Everything but the app.
    fn stack(&self) -> f64 {
        self.engine + self.containerd + self.gateway + self.qbittorrent
    }

    fn map2(a: Cost, b: Cost, f: impl Fn(f64, f64) -> f64) -> Cost {
        Cost {
            engine: f(a.engine, b.engine),
            containerd: f(a.containerd, b.containerd),
            gateway: f(a.gateway, b.gateway),
            tunnel: f(a.tunnel, b.tunnel),
            qbittorrent: f(a.qbittorrent, b.qbittorrent),
            app: f(a.app, b.app),
        }
    }
}

impl Parts {
    async fn of(docker: &bollard::Docker, p: &Profile, app: Option<u32>) -> Self {
        let mut engine = cpu::pids_named("dockerd");
        engine.extend(cpu::pids_named("docker-proxy"));
        let mut containerd = cpu::pids_named("containerd");
        let mut pids = [0_u32; 2];
        for (i, name) in [p.gateway_name(), p.qbittorrent_name()].iter().enumerate() {
            let pid = lab::container(docker, name)
                .await
                .and_then(|c| c.state)
                .and_then(|s| s.pid)
                .unwrap_or(0) as u32;
            assert!(pid > 0, "{name} does not run");
            pids[i] = pid;
            containerd.extend(cpu::parent(pid));
        }
        let tunnel = cpu::cgroup_pids(pids[0]).into_iter().find(|c| {
            std::fs::read_to_string(format!("/proc/{c}/comm"))
                .is_ok_and(|n| n.trim() == "wireguard-go")
        });
        Self {
            engine,
            containerd,
            gateway: pids[0],
            qbittorrent: pids[1],
            app,
            tunnel,
        }
    }

    /// CPU seconds so far, per part.
    fn seconds(&self) -> Cost {
        let sum = |pids: &[u32]| pids.iter().map(|p| cpu::process_seconds(*p)).sum();
        let cgroup = |pid: u32| cpu::cgroup_seconds(pid).expect("the container's cgroup CPU time");
        Cost {
            engine: sum(&self.engine),
            containerd: sum(&self.containerd),
            gateway: cgroup(self.gateway),
            tunnel: self.tunnel.map_or(0.0, cpu::process_seconds),
            qbittorrent: cgroup(self.qbittorrent),
            app: self.app.map_or(0.0, |a| sum(&cpu::tree(a))),
        }
    }

    /// Percent of one core over `window`, per part.
    async fn measure(&self, window: Duration) -> Cost {
        let before = self.seconds();
        let start = Instant::now();
        tokio::time::sleep(window).await;
        let after = self.seconds();
        let elapsed = start.elapsed().as_secs_f64();
        Cost::map2(before, after, |a, b| (b - a) / elapsed * 100.0)
    }
}

/// Wait until no `ping` the monitor started runs in the gateway (each
/// lives at most 60 s after its watcher is gone).
async fn no_watcher_left(docker: &bollard::Docker, p: &Profile) {
    let pid = lab::container(docker, &p.gateway_name())
        .await
        .and_then(|c| c.state)
        .and_then(|s| s.pid)
        .unwrap_or(0) as u32;
    lab::wait_for(
        "the monitor's pings to end",
        Duration::from_secs(90),
        async || {
            let pings = cpu::cgroup_pids(pid).into_iter().filter(|c| {
                std::fs::read_to_string(format!("/proc/{c}/comm")).is_ok_and(|n| n.trim() == "ping")
            });
            (pings.count() == 0).then_some(())
        },
    )
    .await;
}

/// With the stack of `p` connected: its idle CPU without any watcher, then
/// with the app running (connected, no window): the app's own CPU and
/// private memory, and the difference the watching makes.
pub async fn idle(docker: &bollard::Docker, p: &Profile, window: Duration) -> Vec<Row> {
    let w = window.as_secs();
    no_watcher_left(docker, p).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let unwatched = Parts::of(docker, p, None).await.measure(window).await;
    let load_unwatched = cpu::load();

    let mut app = App::start(p);
    app.wait_status("Protected", Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let parts = Parts::of(docker, p, Some(app.pid())).await;
    let watched = parts.measure(window).await;
    let app_cpu = watched.app;
    let dirty = lab::private_dirty_kib(app.pid());
    let rss = lab::rss_kib(app.pid());
    let load = cpu::load();
    drop(app);
    let whole = watched.stack() + app_cpu - unwatched.stack();
    let more = Cost::map2(unwatched, watched, |a, b| b - a);
    vec![
        row(
            format!("app idle CPU, connected, no window ({w} s)"),
            format!("{app_cpu:.2} % of one core ({load})"),
            "≤ 0.2 % of one core",
        ),
        row(
            "app private dirty memory (smaps_rollup), connected",
            format!(
                "{:.1} MB (resident {:.1} MB)",
                dirty as f64 * 1024.0 / 1e6,
                rss as f64 * 1024.0 / 1e6
            ),
            "≤ 30 MB",
        ),
        row(
            format!("whole cost of watching: app + dockerd (and docker-proxy) + containerd + both containers and their shims, less the same unwatched ({w} s each)"),
            format!(
                "{whole:.2} % of one core ({:.2} % watched incl. the app, {:.2} % unwatched; {load_unwatched} unwatched, {load} watched)",
                watched.stack() + app_cpu,
                unwatched.stack()
            ),
            "≤ 0.5 % of one core",
        ),
        row(
            "of which the tunnel carrying the probe: the gateway's wireguard-go (the lab's userspace WireGuard; kernel WireGuard where the engine's kernel has it, as Docker Desktop's does)",
            format!(
                "{:.2} % of one core ({:.2} % watched, {:.2} % unwatched)",
                more.tunnel, watched.tunnel, unwatched.tunnel
            ),
            "(reference)",
        ),
        row(
            "where the whole cost goes (watched less unwatched, % of one core)",
            format!(
                "app {:.2}, dockerd and docker-proxy {:.2}, containerd and shims {:.2}, gateway {:.2} (wireguard-go {:.2}, the rest {:.2}), qBittorrent {:.2}",
                app_cpu,
                more.engine,
                more.containerd,
                more.gateway,
                more.tunnel,
                more.gateway - more.tunnel,
                more.qbittorrent
            ),
            "(reference)",
        ),
    ]
}
