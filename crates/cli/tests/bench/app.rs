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

/// CPU seconds so far of each part of the stack (dockerd, containerd, the
/// shims and cgroups of the two containers) and, when given, of the app;
/// and of the tunnel itself (the gateway's `wireguard-go`), a part of the
/// gateway's.
struct Parts {
    pids: Vec<u32>,
    cgroups: Vec<u32>,
    app: Option<u32>,
    tunnel: Option<u32>,
}

/// CPU percent of one core over a window.
struct Cost {
    stack: f64,
    app: f64,
    tunnel: f64,
}

impl Parts {
    async fn of(docker: &bollard::Docker, p: &Profile, app: Option<u32>) -> Self {
        let mut pids = cpu::pids_named("dockerd");
        pids.extend(cpu::pids_named("containerd"));
        let mut cgroups = Vec::new();
        let mut tunnel = None;
        for name in [p.gateway_name(), p.qbittorrent_name()] {
            let pid = lab::container(docker, &name)
                .await
                .and_then(|c| c.state)
                .and_then(|s| s.pid)
                .unwrap_or(0) as u32;
            assert!(pid > 0, "{name} does not run");
            cgroups.push(pid);
            pids.extend(cpu::parent(pid));
            if name == p.gateway_name() {
                tunnel = cpu::cgroup_pids(pid).into_iter().find(|c| {
                    std::fs::read_to_string(format!("/proc/{c}/comm"))
                        .is_ok_and(|n| n.trim() == "wireguard-go")
                });
            }
        }
        Self {
            pids,
            cgroups,
            app,
            tunnel,
        }
    }

    /// (stack, app, tunnel) CPU seconds so far.
    fn seconds(&self) -> (f64, f64, f64) {
        let mut stack: f64 = self.pids.iter().map(|p| cpu::process_seconds(*p)).sum();
        for pid in &self.cgroups {
            stack += cpu::cgroup_seconds(*pid).expect("the container's cgroup CPU time");
        }
        let app = self
            .app
            .map(|a| cpu::tree(a).iter().map(|p| cpu::process_seconds(*p)).sum())
            .unwrap_or(0.0);
        let tunnel = self.tunnel.map_or(0.0, cpu::process_seconds);
        (stack, app, tunnel)
    }

    /// Percent of one core over `window`.
    async fn measure(&self, window: Duration) -> Cost {
        let (s0, a0, t0) = self.seconds();
        let start = Instant::now();
        tokio::time::sleep(window).await;
        let (s1, a1, t1) = self.seconds();
        let percent = |a: f64, b: f64| (b - a) / start.elapsed().as_secs_f64() * 100.0;
        Cost {
            stack: percent(s0, s1),
            app: percent(a0, a1),
            tunnel: percent(t0, t1),
        }
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
    let whole = watched.stack + app_cpu - unwatched.stack;
    let tunnel = watched.tunnel - unwatched.tunnel;
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
            format!("whole cost of watching: app + dockerd + containerd + both containers and their shims, less the same unwatched ({w} s each)"),
            format!(
                "{whole:.2} % of one core ({:.2} % watched incl. the app, {:.2} % unwatched; {load_unwatched} unwatched, {load} watched)",
                watched.stack + app_cpu,
                unwatched.stack
            ),
            "≤ 0.5 % of one core",
        ),
        row(
            "of which the tunnel carrying the probe: the gateway's wireguard-go (the lab's userspace WireGuard; kernel WireGuard where the engine's kernel has it, as Docker Desktop's does)",
            format!(
                "{tunnel:.2} % of one core ({:.2} % watched, {:.2} % unwatched)",
                watched.tunnel, unwatched.tunnel
            ),
            "(reference)",
        ),
    ]
}
