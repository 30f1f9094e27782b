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

/// One start of the app to its first model with the stack's state:
/// (ms to the first applied model, ms to the first with the state).
async fn start_once(p: &Profile) -> (u64, u64) {
    let mut app = App::start(p);
    let shown = app
        .wait_status("Disconnected", Duration::from_secs(60))
        .await;
    let history = app.history();
    (history[0].0 - app.spawned_ms, shown - app.spawned_ms)
}

/// Spawn to the first applied menu model, and to the first with the
/// stack's state, over `trials` starts of the app (disconnected), after
/// one start not counted: the first GTK app of a fresh session starts the
/// session's accessibility bus and reads its libraries from disk, which a
/// desktop session has done long before the user starts the app.
pub async fn cold_start(p: &Profile, trials: usize) -> Vec<Row> {
    let (warm_first, warm_state) = start_once(p).await;
    let mut first = Vec::new();
    let mut state = Vec::new();
    for _ in 0..trials {
        let (f, s) = start_once(p).await;
        first.push(f);
        state.push(s);
    }
    let load = cpu::load();
    let max = *first.iter().max().unwrap();
    vec![
        row(
            "the session's first app start (not counted: it starts the session's accessibility bus)",
            format!("{warm_first} ms to the first tray model, {warm_state} ms to the stack's state"),
            "(reference)",
        ),
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

/// One unwatched window and one watched: the stack's CPU with no watcher,
/// then with the app running (connected, no window).
struct Pair {
    unwatched: Cost,
    watched: Cost,
    /// The app's private dirty and resident memory (KiB) at the end.
    dirty: u64,
    rss: u64,
    load_unwatched: String,
    load: String,
}

impl Pair {
    async fn measure(docker: &bollard::Docker, p: &Profile, window: Duration) -> Self {
        no_watcher_left(docker, p).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        let unwatched = Parts::of(docker, p, None).await.measure(window).await;
        let load_unwatched = cpu::load();

        let mut app = App::start(p);
        app.wait_status("Protected", Duration::from_secs(60)).await;
        tokio::time::sleep(Duration::from_secs(10)).await;
        let parts = Parts::of(docker, p, Some(app.pid())).await;
        let watched = parts.measure(window).await;
        let dirty = lab::private_dirty_kib(app.pid());
        let rss = lab::rss_kib(app.pid());
        let load = cpu::load();
        drop(app);
        Self {
            unwatched,
            watched,
            dirty,
            rss,
            load_unwatched,
            load,
        }
    }

    /// The whole cost: everything watched (the app too) less the same
    /// unwatched.
    fn whole(&self) -> f64 {
        self.watched.stack() + self.watched.app - self.unwatched.stack()
    }
}

/// Mean and range of `f` over `pairs`.
fn spread(pairs: &[Pair], f: impl Fn(&Pair) -> f64) -> (f64, f64, f64) {
    let v: Vec<f64> = pairs.iter().map(f).collect();
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (mean, min, max)
}

/// With the stack of `p` connected, `n` pairs of windows, each an
/// unwatched window then a watched one: the app's own CPU and private
/// memory, and the difference the watching makes. The stack's own idle
/// CPU moves between windows (its health checks) by about as much as the
/// watching costs, so the figure is the mean of the pairs' differences,
/// with their range beside it.
pub async fn idle(docker: &bollard::Docker, p: &Profile, window: Duration, n: usize) -> Vec<Row> {
    let w = window.as_secs();
    let mut pairs = Vec::new();
    for _ in 0..n.max(1) {
        pairs.push(Pair::measure(docker, p, window).await);
    }
    let last = pairs.last().unwrap();
    let (app, app_min, app_max) = spread(&pairs, |x| x.watched.app);
    let (whole, whole_min, whole_max) = spread(&pairs, Pair::whole);
    let (watched, _, _) = spread(&pairs, |x| x.watched.stack() + x.watched.app);
    let (unwatched, _, _) = spread(&pairs, |x| x.unwatched.stack());
    let more = |f: fn(&Cost) -> f64| spread(&pairs, |x| f(&x.watched) - f(&x.unwatched)).0;
    let (tunnel_w, _, _) = spread(&pairs, |x| x.watched.tunnel);
    let (tunnel_u, _, _) = spread(&pairs, |x| x.unwatched.tunnel);
    let n = pairs.len();
    let dirty = pairs.iter().map(|x| x.dirty).max().unwrap();
    let rss = pairs.iter().map(|x| x.rss).max().unwrap();
    vec![
        row(
            format!("app idle CPU, connected, no window (mean of {n} windows of {w} s)"),
            format!(
                "{app:.2} % of one core (windows {app_min:.2}–{app_max:.2}; {})",
                last.load
            ),
            "≤ 0.2 % of one core",
        ),
        row(
            "app private dirty memory (smaps_rollup), connected (largest of the windows)",
            format!(
                "{:.1} MB (resident {:.1} MB)",
                dirty as f64 * 1024.0 / 1e6,
                rss as f64 * 1024.0 / 1e6
            ),
            "≤ 30 MB",
        ),
        row(
            format!("whole cost of watching: app + dockerd (and docker-proxy) + containerd + both containers and their shims, less the same unwatched (mean of {n} pairs of {w} s windows)"),
            format!(
                "{whole:.2} % of one core (pairs {whole_min:.2}–{whole_max:.2}; {watched:.2} % watched incl. the app, {unwatched:.2} % unwatched; last pair {} unwatched, {} watched)",
                last.load_unwatched, last.load
            ),
            "≤ 0.5 % of one core",
        ),
        row(
            "of which the tunnel carrying the probe: the gateway's wireguard-go (the lab's userspace WireGuard; kernel WireGuard where the engine's kernel has it, as Docker Desktop's does)",
            format!(
                "{:.2} % of one core ({tunnel_w:.2} % watched, {tunnel_u:.2} % unwatched)",
                tunnel_w - tunnel_u
            ),
            "(reference)",
        ),
        row(
            "where the whole cost goes (watched less unwatched, mean of the pairs, % of one core)",
            format!(
                "app {app:.2}, dockerd and docker-proxy {:.2}, containerd and shims {:.2}, gateway {:.2} (wireguard-go {:.2}, the rest {:.2}), qBittorrent {:.2}",
                more(|c| c.engine),
                more(|c| c.containerd),
                more(|c| c.gateway),
                tunnel_w - tunnel_u,
                more(|c| c.gateway) - (tunnel_w - tunnel_u),
                more(|c| c.qbittorrent)
            ),
            "(reference)",
        ),
    ]
}
