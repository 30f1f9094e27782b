//! The monitor's signal sources and actions around the pure [`Machine`]:
//! the engine's container events, the control server, a liveness ping
//! through the tunnel, the gateway's log, qBittorrent's `sync/maindata`,
//! and the healer (poked by the same engine events). Each source is a task
//! sending [`Signal`]s; the loop feeds them to the machine and carries out
//! its actions (verify the block, sync the port) as tasks of its own, all
//! stopped with the monitor.

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::StreamExt;
use serde::Serialize;
use tokio::sync::{mpsc, watch, Notify};

use super::heal::{heal, HealEvent, HealPoke};
use super::machine::{Action, BlockProbe, Event, Machine, Presence, Signal};
use super::probe::{liveness_probe, ProbeCommand};
use super::snapshot::{now_ms, Snapshot, Transfer, VpnInfo};
use crate::gluetun::log::LogLine;
use crate::qbittorrent::{MainDataState, QbitClient, QbitError};
use crate::secrets::SecretKind;
use crate::stack::{engine, harden};
use crate::stack::{labels, tunnel_ip, StackManager};

/// Pacing of the signal sources.
#[derive(Debug, Clone)]
pub struct MonitorOptions {
    /// How often the control server is asked while it says the VPN runs:
    /// a safety net, since it is asked at once after a container event or a
    /// state line in the gateway's log (a VPN restart, a new public IP or
    /// port), and the probe watches the tunnel itself. Every 500 ms while
    /// the VPN does not run.
    pub control_interval: Duration,
    /// How often qBittorrent is asked while anything moves (three times
    /// this while nothing does).
    pub qbittorrent_interval: Duration,
    /// The liveness probe's beat: how often its steady ping goes through
    /// the tunnel ([`super::machine::BEAT_MS`]).
    pub beat: Duration,
    /// A heartbeat for the machine besides its own deadlines
    /// ([`Machine::next_deadline`]), which wake it when a silence is due.
    pub tick: Duration,
}

impl Default for MonitorOptions {
    fn default() -> Self {
        Self {
            control_interval: Duration::from_secs(30),
            qbittorrent_interval: Duration::from_secs(2),
            beat: Duration::from_millis(super::machine::BEAT_MS),
            tick: Duration::from_secs(5),
        }
    }
}

/// One line of `tvpn watch --json`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MonitorOutput {
    Snapshot {
        at_ms: u64,
        snapshot: Box<Snapshot>,
    },
    Event(Event),
    Heal(HealEvent),
    /// A warning or an error in the gateway's log.
    GatewayLog(LogLine),
}

type Tx = mpsc::UnboundedSender<Signal>;

/// Run until `shutdown` completes.
pub async fn run(
    manager: Arc<StackManager>,
    options: MonitorOptions,
    report: &mut (dyn FnMut(MonitorOutput) + Send),
    shutdown: impl Future<Output = ()>,
) {
    let (_keep, external) = mpsc::unbounded_channel::<Signal>();
    run_with_signals(manager, options, external, report, shutdown).await;
}

/// Like [`run`], with signals from outside fed to the machine as well: the
/// app sends [`Signal::Connecting`] while it connects and
/// [`Signal::ConnectFailed`] when that fails.
pub async fn run_with_signals(
    manager: Arc<StackManager>,
    options: MonitorOptions,
    mut external: mpsc::UnboundedReceiver<Signal>,
    report: &mut (dyn FnMut(MonitorOutput) + Send),
    shutdown: impl Future<Output = ()>,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Signal>();
    {
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(signal) = external.recv().await {
                if tx.send(signal).is_err() {
                    return;
                }
            }
        });
    }
    let (heal_tx, mut heal_rx) = mpsc::unbounded_channel::<HealEvent>();
    let (log_tx, mut log_rx) = mpsc::unbounded_channel::<LogLine>();
    let (poke_heal, heal_pokes) = mpsc::unbounded_channel::<HealPoke>();
    let poke = Arc::new(Notify::new());
    let target = manager.settings().monitor.probe_target;
    // Dropped (so aborted) with the monitor: its sources and its actions.
    let mut tasks = tokio::task::JoinSet::new();
    let mut actions = tokio::task::JoinSet::new();
    // Bumped on every container event of the profile: what the pollers
    // learnt from the engine holds until it changes.
    let (generation, seen) = watch::channel(0_u64);
    tasks.spawn(engine_events(
        Arc::clone(&manager),
        tx.clone(),
        poke_heal,
        generation,
    ));
    tasks.spawn(heal(Arc::clone(&manager), heal_pokes, heal_tx));
    tasks.spawn(control_poller(
        Arc::clone(&manager),
        tx.clone(),
        Arc::clone(&poke),
        options.control_interval,
        seen.clone(),
    ));
    // A state line in the gateway's log (a VPN restart, a new public IP)
    // also starts the liveness probe afresh, on the new tunnel interface.
    let reprobe = Arc::new(Notify::new());
    let (probe, probe_commands) = mpsc::unbounded_channel::<ProbeCommand>();
    tasks.spawn(liveness_probe(
        Arc::clone(&manager),
        tx.clone(),
        target,
        options.beat,
        Arc::clone(&reprobe),
        probe_commands,
    ));
    tasks.spawn(gateway_log(
        Arc::clone(&manager),
        Arc::clone(&poke),
        reprobe,
        log_tx,
    ));
    tasks.spawn(qbittorrent_poller(
        Arc::clone(&manager),
        tx.clone(),
        options.qbittorrent_interval,
        seen,
    ));
    {
        let tx = tx.clone();
        let tick = options.tick;
        tasks.spawn(async move {
            let mut interval = tokio::time::interval(tick);
            loop {
                interval.tick().await;
                if tx.send(Signal::Tick).is_err() {
                    return;
                }
            }
        });
    }

    let beat_ms = u64::try_from(options.beat.as_millis()).unwrap_or(u64::MAX);
    let mut machine = Machine::with_beat(now_ms(), beat_ms);
    report(MonitorOutput::Snapshot {
        at_ms: now_ms(),
        snapshot: Box::new(machine.snapshot().clone()),
    });
    tokio::pin!(shutdown);
    let deadline = tokio::time::sleep(Duration::MAX);
    tokio::pin!(deadline);
    loop {
        // Woken when a silence is due, not on a polling tick.
        let due = machine.next_deadline();
        if let Some(at) = due {
            let wait = Duration::from_millis(at.saturating_sub(now_ms()));
            deadline.as_mut().reset(tokio::time::Instant::now() + wait);
        }
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = actions.join_next(), if !actions.is_empty() => {}
            heal = heal_rx.recv() => {
                if let Some(h) = heal {
                    report(MonitorOutput::Heal(h));
                }
            }
            Some(line) = log_rx.recv() => report(MonitorOutput::GatewayLog(line)),
            signal = async {
                tokio::select! {
                    signal = rx.recv() => signal,
                    () = &mut deadline, if due.is_some() => Some(Signal::Tick),
                }
            } => {
                let Some(signal) = signal else { break };
                let now = now_ms();
                let out = machine.on(signal, now);
                for event in out.events {
                    tracing::debug!(
                        kind = ?event.kind,
                        late_ms = machine.late_ms(),
                        silence_ms = machine.silence_ms(),
                        "monitor event"
                    );
                    report(MonitorOutput::Event(event));
                }
                if let Some(snapshot) = out.snapshot {
                    report(MonitorOutput::Snapshot { at_ms: now, snapshot: Box::new(snapshot) });
                }
                for action in out.actions {
                    let manager = Arc::clone(&manager);
                    let tx = tx.clone();
                    match action {
                        // The probe in the gateway answers both (a block
                        // verdict as a signal).
                        Action::VerifyBlock => {
                            let _ = probe.send(ProbeCommand::Block);
                        }
                        Action::Burst => {
                            let _ = probe.send(ProbeCommand::Burst);
                        }
                        Action::SyncPort(port) | Action::Rebind(port) => {
                            let rebind = matches!(action, Action::Rebind(_));
                            actions.spawn(async move {
                                match sync_port(&manager, port, rebind).await {
                                    Ok(Some(p)) => {
                                        let _ = tx.send(Signal::PortSynced(p));
                                    }
                                    Ok(None) => {}
                                    Err(e) => tracing::warn!(error = %e, "port sync failed"),
                                }
                            });
                        }
                    }
                }
            }
        }
    }
    tasks.abort_all();
    actions.abort_all();
}

/// The gateway's container ID, when it runs.
pub(super) async fn running_gateway(manager: &StackManager) -> Option<String> {
    let current = manager.current().await.ok()?;
    current.gateway.filter(|g| g.running).map(|g| g.id)
}

async fn presence(manager: &StackManager) -> Result<Presence, crate::stack::StackError> {
    let current = manager.current().await?;
    Ok(match current.gateway {
        // A gateway never started is one a connect is making (or reconcile
        // removes): nothing to heal yet.
        None => Presence::Disconnected,
        Some(g) if g.state == "created" => Presence::Disconnected,
        Some(g) if g.state == "paused" => Presence::Paused,
        Some(g) if g.running => Presence::Running,
        Some(_) => Presence::GatewayDown,
    })
}

/// Container events of the profile (the monitor's one subscription) →
/// presence and gateway starts, and a poke to the healer; engine loss and
/// return.
async fn engine_events(
    manager: Arc<StackManager>,
    tx: Tx,
    heal: mpsc::UnboundedSender<HealPoke>,
    generation: watch::Sender<u64>,
) {
    let bump = || generation.send_modify(|g| *g += 1);
    loop {
        bump();
        match manager.docker().ping().await {
            Ok(_) => {
                let _ = tx.send(Signal::EngineUp);
                let _ = heal.send(HealPoke::Back);
            }
            Err(e) => {
                let _ = tx.send(Signal::EngineDown(e.to_string()));
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        }
        if let Ok(p) = presence(&manager).await {
            let _ = tx.send(Signal::Presence(p));
        }
        let mut events =
            engine::profile_events(manager.docker(), &manager.settings().profile, STACK_EVENTS);
        // What existed before the subscription is reconciled once too.
        let _ = heal.send(HealPoke::Changed);
        let error = loop {
            match events.next().await {
                Some(Ok(event)) => {
                    bump();
                    let action = event.action.unwrap_or_default();
                    let role = event
                        .actor
                        .and_then(|a| a.attributes)
                        .and_then(|a| a.get(labels::ROLE).cloned())
                        .unwrap_or_default();
                    if role == "gateway" && action == "start" {
                        let _ = tx.send(Signal::GatewayStarted);
                    }
                    if matches!(
                        action.as_str(),
                        "start" | "die" | "stop" | "destroy" | "pause" | "unpause" | "create"
                    ) {
                        if let Ok(p) = presence(&manager).await {
                            let _ = tx.send(Signal::Presence(p));
                        }
                    }
                    if HEAL_EVENTS.contains(&action.as_str()) {
                        let _ = heal.send(HealPoke::Changed);
                    }
                }
                Some(Err(e)) => break e.to_string(),
                None => break "the engine closed the event stream".to_owned(),
            }
        };
        let _ = tx.send(Signal::EngineDown(error.clone()));
        let _ = heal.send(HealPoke::Lost(error));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The container events that change the stack, and the only ones asked
/// for: a `docker exec` (gluetun's health check every 5 s, the probe) and
/// its `health_status` change nothing the monitor learnt, and would wake it.
const STACK_EVENTS: &[&str] = &[
    "create", "start", "restart", "die", "stop", "destroy", "pause", "unpause", "kill", "oom",
    "rename", "update",
];

/// Container events that can change what the stack needs.
const HEAL_EVENTS: &[&str] = &["create", "start", "restart", "die", "stop", "destroy"];

/// `/v1/publicip/ip` and the forwarded port: every `every` while the VPN
/// runs, ten times as often while it does not, and at once when the
/// gateway's log says something changed or a container event came.
async fn control_poller(
    manager: Arc<StackManager>,
    tx: Tx,
    poke: Arc<Notify>,
    every: Duration,
    mut events: watch::Receiver<u64>,
) {
    let port = manager.settings().stack.control_port;
    // Whether the gateway publishes the control port, as of a generation.
    let mut published: Option<(u64, bool)> = None;
    loop {
        let generation = *events.borrow_and_update();
        // The API key goes only to the gateway: not to another program that
        // took the port while the gateway is down.
        let publishes = match published {
            Some((g, p)) if g == generation => p,
            _ => {
                let p = manager
                    .gateway_publishes(crate::stack::spec::CONTROL_PORT, port)
                    .await;
                published = Some((generation, p));
                p
            }
        };
        let mut running = false;
        if !publishes {
            let _ = tx.send(Signal::ControlUnreachable(
                "the gateway does not run or publish its control port".to_owned(),
            ));
        } else if let Ok(client) = manager.gateway_client().await {
            let answer = tokio::time::timeout(Duration::from_secs(1), tunnel_ip(client)).await;
            match answer {
                Ok(Ok(ip)) => {
                    running = ip.is_some();
                    let vpn = ip.and_then(|i| {
                        i.public_ip.map(|a| VpnInfo {
                            public_ip: a.to_string(),
                            country: i.country,
                            city: i.city,
                        })
                    });
                    let _ = tx.send(Signal::Control { running, vpn });
                    if running && manager.settings().vpn.port_forwarding {
                        if let Ok(Ok(ports)) =
                            tokio::time::timeout(Duration::from_secs(1), client.forwarded_ports())
                                .await
                        {
                            let _ = tx.send(Signal::ForwardedPort(ports.first().copied()));
                        }
                    }
                }
                Ok(Err(e)) => {
                    published = None;
                    let _ = tx.send(Signal::ControlUnreachable(e.to_string()));
                }
                Err(_) => {
                    let _ = tx.send(Signal::ControlUnreachable("no answer in 1 s".to_owned()));
                }
            }
        }
        let wait = if running {
            every
        } else {
            Duration::from_millis(500)
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = poke.notified() => {}
            changed = events.changed() => {
                if changed.is_err() {
                    // No more events (the monitor is stopping).
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// gluetun's log lines that announce a change: ask the control server now.
/// Its warnings and errors go to `lines` (the window shows them).
async fn gateway_log(
    manager: Arc<StackManager>,
    poke: Arc<Notify>,
    reprobe: Arc<Notify>,
    lines: mpsc::UnboundedSender<LogLine>,
) {
    loop {
        let Some(gateway) = running_gateway(&manager).await else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        let since = i32::try_from(now_ms() / 1000).unwrap_or(0);
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .follow(true)
            .since(since)
            .build();
        let mut logs = manager.docker().logs(&gateway, Some(options));
        while let Some(Ok(chunk)) = logs.next().await {
            let text = chunk.to_string();
            if is_state_line(&text) {
                poke.notify_one();
                reprobe.notify_one();
            }
            for line in text.lines().filter_map(LogLine::parse) {
                if line.is_warning() {
                    let _ = lines.send(line);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// gluetun log lines after which the control server has news: a VPN
/// restart or stop, a forwarded port (`port forwarded is N`, or for several
/// `ports forwarded are N, M`: `internal/portforward/service/helpers.go`),
/// a public IP.
fn is_state_line(line: &str) -> bool {
    const MARKERS: &[&str] = &[
        "restarting VPN",
        "[vpn] stopping",
        "port forwarded is",
        "ports forwarded are",
        "Public IP address is",
    ];
    MARKERS.iter().any(|m| line.contains(m))
}

/// Speeds, active torrents, connection status and libtorrent's external
/// address, from `sync/maindata` (incremental: a steady tick costs little).
async fn qbittorrent_poller(
    manager: Arc<StackManager>,
    tx: Tx,
    every: Duration,
    mut events: watch::Receiver<u64>,
) {
    let settings = manager.settings().clone();
    let mut session: Option<(QbitClient, MainDataState)> = None;
    // Whether qBittorrent runs behind the gateway's published port, as of a
    // generation of container events.
    let mut reachable: Option<(u64, bool)> = None;
    let mut wait = every;
    loop {
        tokio::time::sleep(wait).await;
        wait = every;
        let generation = *events.borrow_and_update();
        let published = match reachable {
            Some((g, r)) if g == generation => r,
            _ => {
                let runs = manager
                    .current()
                    .await
                    .ok()
                    .and_then(|c| {
                        c.service(crate::stack::spec::QBITTORRENT)
                            .map(|s| s.running)
                    })
                    .unwrap_or(false);
                // The password goes only to qBittorrent inside the gateway.
                let r = runs
                    && manager
                        .gateway_publishes(settings.stack.webui_port, settings.stack.webui_port)
                        .await;
                reachable = Some((generation, r));
                r
            }
        };
        if !published {
            session = None;
            continue;
        }
        if session.is_none() {
            let Ok(qb) = QbitClient::new(
                &harden::webui_url(&settings),
                settings.qbittorrent.username.clone(),
            ) else {
                continue;
            };
            let Ok(Some(password)) = manager.secrets().get(SecretKind::QbittorrentPassword).await
            else {
                continue;
            };
            match qb.login(&password).await {
                Ok(()) => session = Some((qb, MainDataState::new())),
                // Never a retry loop on a refused password.
                Err(QbitError::WrongPassword { .. } | QbitError::Banned) => {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    continue;
                }
                Err(_) => continue,
            }
        }
        let Some((qb, state)) = session.as_mut() else {
            continue;
        };
        match qb.sync(state).await {
            Ok(()) => {
                // Nothing moves: asked a third as often until something does.
                if state.download_speed() == 0
                    && state.upload_speed() == 0
                    && state.active_torrents() == 0
                {
                    wait = every * 3;
                }
                let _ = tx.send(Signal::Transfer {
                    transfer: Transfer {
                        down_bps: state.download_speed(),
                        up_bps: state.upload_speed(),
                        active_torrents: u32::try_from(state.active_torrents()).unwrap_or(u32::MAX),
                    },
                    connection: state.connection_status().as_str().to_owned(),
                    external_ip: state.last_external_address_v4().map(str::to_owned),
                });
            }
            Err(QbitError::NotLoggedIn { .. }) => session = None,
            Err(e) => {
                // Looked at again before the next request.
                reachable = None;
                tracing::debug!(error = %e, "qBittorrent poll");
            }
        }
    }
}

/// How long the block probe waits for an answer from outside the tunnel. A
/// path that leaks answers well within it (a LAN hop and the internet).
pub const BLOCK_PROBE_WAIT: Duration = Duration::from_millis(600);

/// Probe from the gateway's namespace (qBittorrent's) to the outside through
/// its default interface, not the tunnel: a ping to the probe target bound to
/// `eth0`. An answer means traffic gets out outside the tunnel (a leak); none
/// within [`BLOCK_PROBE_WAIT`] means the kill switch holds.
pub async fn verify_block(manager: &StackManager, target: IpAddr) -> BlockProbe {
    let Some(gateway) = manager.current().await.ok().and_then(|c| c.gateway) else {
        return BlockProbe::Inconclusive("the gateway is gone".to_owned());
    };
    if gateway.state == "paused" {
        return BlockProbe::Inconclusive("the gateway is paused".to_owned());
    }
    let target = target.to_string();
    let cmd = ["ping", "-n", "-c", "1", "-W", "1", "-I", "eth0", &target];
    let mut output = match engine::exec_stream(manager.docker(), &gateway.id, &cmd).await {
        Ok(o) => o,
        Err(e) => return BlockProbe::Inconclusive(e.to_string()),
    };
    let mut text = String::new();
    let read = async {
        while let Some(Ok(chunk)) = output.next().await {
            text.push_str(&chunk.to_string());
            if text.contains("bytes from") {
                break;
            }
        }
    };
    // No answer in time: the ping ends by itself (-W 1). Still running at
    // the deadline means sent and not answered (ping's stdout is a pipe, so
    // it prints its header only when it ends; a reply ends it at once).
    let still_running = tokio::time::timeout(BLOCK_PROBE_WAIT, read).await.is_err();
    classify_block_probe(&text, &target, still_running)
}

/// Read what `ping -c 1 -I eth0` printed within the wait. Evidence only:
/// an answer is a leak; the firewall's refusal to send (`sendto`/`sendmsg`:
/// `Operation not permitted`), or a probe on its way with no answer (ping
/// still waiting at the deadline, or its header and no reply) is a block;
/// anything else (an error, a ping that ended with nothing, unknown text)
/// proves nothing and is unverified.
pub fn classify_block_probe(output: &str, target: &str, still_running: bool) -> BlockProbe {
    if output.contains("bytes from") {
        return BlockProbe::Leaked(format!(
            "a ping to {target} outside the tunnel was answered"
        ));
    }
    if output.contains("Operation not permitted") {
        return BlockProbe::Blocked;
    }
    let sent = output.lines().any(|l| {
        // iputils: "PING t (t) from a eth0: 56(84) bytes of data.";
        // busybox (gluetun's Alpine): "PING t (t): 56 data bytes".
        l.starts_with("PING ") && (l.contains("bytes of data") || l.contains("data bytes"))
    });
    let failed = output.contains("No such device")
        || output.contains("not found")
        || output.contains("unknown iface")
        || output.contains("bad address");
    if (sent || (still_running && output.trim().is_empty())) && !failed {
        return BlockProbe::Blocked;
    }
    let what = output.lines().last().unwrap_or("").trim();
    BlockProbe::Inconclusive(if what.is_empty() {
        "the probe printed nothing".to_owned()
    } else {
        format!("the probe could not run: {what}")
    })
}

/// Write the forwarded port into qBittorrent (and, after a VPN restart,
/// re-bind it to the new tunnel interface), then read it back.
async fn sync_port(
    manager: &StackManager,
    port: Option<u16>,
    rebind: bool,
) -> Result<Option<u16>, crate::stack::StackError> {
    let settings = manager.settings();
    // A change of qBittorrent's settings: one at a time with connect,
    // disconnect and reconcile.
    let _operation = manager.lock_operation().await?;
    let runs = manager
        .current()
        .await?
        .service(crate::stack::spec::QBITTORRENT)
        .is_some_and(|s| s.running);
    if !runs {
        return Ok(None);
    }
    let qb = QbitClient::new(
        &harden::webui_url(settings),
        settings.qbittorrent.username.clone(),
    )?;
    // Not hardened yet (a connect is on its way): it takes the port then.
    let Some(password) = manager
        .secrets()
        .get(SecretKind::QbittorrentPassword)
        .await?
    else {
        return Ok(None);
    };
    qb.login(&password).await?;
    if rebind {
        harden::rebind(&qb, settings, port).await?;
    } else {
        let prefs = qb.preferences().await?;
        let port_ok = port.is_none_or(|p| prefs.listen_port == Some(u32::from(p)));
        let bound =
            prefs.current_network_interface.as_deref() == Some(crate::stack::spec::VPN_INTERFACE);
        if !(port_ok && bound) {
            harden::apply_network_prefs(&qb, settings, port).await?;
        }
    }
    Ok(port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_probe_verdicts() {
        let blocked =
            "PING 10.222.0.10 (10.222.0.10) from 10.221.0.130 eth0: 56(84) bytes of data.\n";
        assert_eq!(
            classify_block_probe(blocked, "t", false),
            BlockProbe::Blocked
        );
        assert_eq!(
            classify_block_probe("ping: sendmsg: Operation not permitted", "t", false),
            BlockProbe::Blocked
        );
        let answered = "64 bytes from 10.222.0.10: icmp_seq=1 ttl=63 time=0.2 ms\n";
        assert!(matches!(
            classify_block_probe(answered, "t", false),
            BlockProbe::Leaked(_)
        ));
        assert!(matches!(
            classify_block_probe("ping: SO_BINDTODEVICE eth0: No such device", "t", false),
            BlockProbe::Inconclusive(_)
        ));
        // gluetun's busybox ping, sent with no answer.
        assert_eq!(
            classify_block_probe("PING 1.1.1.1 (1.1.1.1): 56 data bytes\n", "t", false),
            BlockProbe::Blocked
        );
        // Sent and still waiting at the deadline: no answer, blocked.
        assert_eq!(classify_block_probe("", "t", true), BlockProbe::Blocked);
        // No evidence: a probe that ended printing nothing, or something
        // unknown.
        for nothing in ["", "OCI runtime exec failed: container is restarting"] {
            assert!(
                matches!(
                    classify_block_probe(nothing, "t", false),
                    BlockProbe::Inconclusive(_)
                ),
                "{nothing:?}"
            );
        }
    }
}

#[cfg(test)]
mod log_line_tests {
    use super::is_state_line;

    #[test]
    fn forwarded_port_lines_one_or_several() {
        assert!(is_state_line(
            "2026-12-02T03:04:05Z INFO [port forwarding] port forwarded is 41000"
        ));
        assert!(is_state_line(
            "2026-12-02T03:04:05Z INFO [port forwarding] ports forwarded are 41000, 41001"
        ));
        assert!(!is_state_line(
            "2026-12-02T03:04:05Z INFO [http server] 200 GET /v1/portforward"
        ));
    }
}
