//! The supervisor both front-ends run: the menu-bar app and `tvpn watch`.
//!
//! A [`Session`] owns everything between the user's intent and the stack:
//! it opens the [`StackManager`] (again every few seconds while that fails:
//! not set up, Docker down, a keychain error), runs the monitor all the
//! time (during a connect too: each step reaches it as
//! `Signal::Connecting`, so a leak mid-connect is reported like any other),
//! starts again when the settings file changes, and carries out
//! [`Command`]s. It reports [`Update`]s, each snapshot with its own
//! freshness: while the monitor runs, the last snapshot is re-sent every
//! [`SessionOptions::heartbeat`] with the time it was last known true.
//!
//! Cancel is Disconnect while a connect runs: the persisted target becomes
//! `Disconnected` (see [`crate::stack::target`]), so the connect stops at
//! its next step, in this process or another (`tvpn connect`), and removes
//! what it started inside its own lock; the disconnect that follows waits
//! for that lock and removes anything left.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::monitor::{
    self, Event, EventKind, HealEvent, MonitorOptions, MonitorOutput, Signal, Snapshot, State,
};
use crate::paths::AppPaths;
use crate::progress::{now_ms, ConnectStep, Progress};
use crate::stack::{CancelToken, Connected, StackError, StackManager};
use crate::status::StatusReport;
use crate::{backup, verify};

/// What a front-end asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Connect,
    /// Stop a connect on its way (this process's or another's); then as
    /// Disconnect.
    Cancel,
    Disconnect,
    /// Every non-disruptive check.
    Verify,
    /// The same, then the live kill-switch test (stops the VPN for a few
    /// seconds).
    TestKillSwitch,
    /// Open the manager again now (the settings were saved).
    Reload,
    /// A backup into the backups folder now (as the daily one).
    BackUp,
}

/// Which operations run now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Busy {
    pub connecting: bool,
    /// A disconnect, or the clean-up after a cancelled connect.
    pub disconnecting: bool,
    pub verifying: bool,
    pub backing_up: bool,
}

/// An operation a front-end may want to tell the user about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Connect,
    Disconnect,
    Backup,
}

/// What the session reports.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Update {
    /// The state to show. `refresh` marks a heartbeat's re-send of an
    /// unchanged snapshot (`snapshot.at_ms` is then the heartbeat's time).
    Snapshot {
        at_ms: u64,
        snapshot: Box<Snapshot>,
        #[serde(skip)]
        refresh: bool,
    },
    Event(Event),
    Heal(HealEvent),
    /// A step, a pull or a note of this session's connect or disconnect.
    Progress(Progress),
    /// The manager for the current settings (opened, or again).
    Opened {
        #[serde(skip)]
        manager: Option<Arc<StackManager>>,
        profile: String,
    },
    /// The manager cannot be opened; tried again every few seconds.
    Unopened {
        error: String,
    },
    Busy(Busy),
    Connected(Box<Connected>),
    Cancelled,
    Failed {
        operation: Operation,
        error: String,
    },
    /// A verify ended: asked for, or `scheduled` (after a connect, after a
    /// recovery, and every [`SessionOptions::verify_every`] while
    /// protected).
    Verified {
        report: verify::Report,
        scheduled: bool,
    },
    /// The last verify's result as kept from an earlier run (private values
    /// redacted), shown until a new one comes.
    LastVerified(verify::Report),
    /// A warning or an error in the gateway's log, as it came.
    GatewayLog(crate::gluetun::log::LogLine),
    /// A backup was written: asked for, or the daily one (`scheduled`).
    BackedUp {
        path: std::path::PathBuf,
        /// Older ones removed to keep `backup.keep`.
        removed: usize,
        scheduled: bool,
    },
}

/// Pacing.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    pub monitor: MonitorOptions,
    /// How long to wait before opening the manager again after a failure.
    pub retry_open: Duration,
    /// How often an unchanged snapshot is re-sent (it stays fresh), and the
    /// settings file and the persisted target's file are looked at (a
    /// connect in another process shows its steps; each file is read only
    /// when it changed). One timer for all three: an idle session wakes
    /// once per heartbeat, besides the monitor's own signals.
    pub heartbeat: Duration,
    /// How often the checks run on their own while protected.
    pub verify_every: Duration,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            monitor: MonitorOptions::default(),
            retry_open: Duration::from_secs(3),
            heartbeat: Duration::from_secs(1),
            verify_every: Duration::from_secs(3600),
        }
    }
}

/// Run the session until the command channel closes.
pub async fn run(
    paths: AppPaths,
    options: SessionOptions,
    mut commands: mpsc::UnboundedReceiver<Command>,
    updates: mpsc::UnboundedSender<Update>,
) {
    let send = |u: Update| {
        let _ = updates.send(u);
    };
    loop {
        let stamp = settings_stamp(&paths);
        match StackManager::open(&paths).await {
            Ok(manager) => {
                let manager = Arc::new(manager);
                tracing::info!(profile = %manager.settings().profile, "session: monitor started");
                send(Update::Opened {
                    manager: Some(Arc::clone(&manager)),
                    profile: manager.settings().profile.clone(),
                });
                let kept = paths.config_dir().join(LAST_VERIFY_FILE);
                if let Some(report) = read_last_verify(&kept) {
                    send(Update::LastVerified(report));
                }
                let mut opened = Opened::new(manager, &options, stamp, &updates, &paths);
                if opened.run(&paths, &mut commands).await == Ended::Closed {
                    return;
                }
            }
            Err(e) => {
                let (report, _) = crate::status::collect(&paths).await;
                let snapshot = snapshot_without_monitor(&report, &e, now_ms());
                tracing::debug!(error = %e, state = ?snapshot.state, "stack manager not opened");
                send(Update::Unopened {
                    error: e.to_string(),
                });
                send(Update::Snapshot {
                    at_ms: snapshot.at_ms,
                    snapshot: Box::new(snapshot),
                    refresh: false,
                });
                let retry = tokio::time::sleep(options.retry_open);
                tokio::pin!(retry);
                loop {
                    tokio::select! {
                        () = &mut retry => break,
                        command = commands.recv() => match command {
                            None => return,
                            Some(Command::Reload) => break,
                            Some(Command::Connect) => {
                                send(Update::Failed {
                                    operation: Operation::Connect,
                                    error: e.to_string(),
                                });
                                break;
                            }
                            Some(other) => tracing::debug!(?other, "nothing to do: not opened"),
                        },
                    }
                }
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Ended {
    /// Open the manager again (settings changed, reload, monitor ended).
    Reopen,
    /// The front-end went away.
    Closed,
}

/// What an operation task reports back to the session loop.
enum Done {
    Connect(Result<Connected, StackError>),
    Disconnect(Result<usize, StackError>),
    Verify {
        report: verify::Report,
        scheduled: bool,
    },
    Backup {
        result: Result<backup::schedule::Scheduled, String>,
        scheduled: bool,
    },
}

/// The session while the manager is open.
struct Opened<'a> {
    manager: Arc<StackManager>,
    options: &'a SessionOptions,
    updates: &'a mpsc::UnboundedSender<Update>,
    stamp: Option<SystemTime>,
    busy: Busy,
    cancel: Option<CancelToken>,
    /// Disconnect once the running connect has ended (a cancel).
    then_disconnect: bool,
    reload_pending: bool,
    last: Option<Snapshot>,
    /// The monitor's blank first snapshot, held back until a heartbeat
    /// (dropped when a real one comes first).
    held_first: Option<Snapshot>,
    /// The step of a connect in another process, as last sent.
    foreign_step: Option<ConnectStep>,
    /// When `target.json` was last seen changed.
    target_stamp: Option<SystemTime>,
    /// When the checks last started (the hourly schedule counts from it,
    /// or from the session's start).
    last_verify: Option<tokio::time::Instant>,
    started: tokio::time::Instant,
    /// Where the last result is kept (redacted).
    last_verify_file: std::path::PathBuf,
    /// When the daily backup is due (`backup.daily`), else never.
    next_backup: Option<tokio::time::Instant>,
    paths: AppPaths,
    /// A disconnect ended at this time: "disconnecting" is shown until the
    /// monitor has seen the stack go (or [`SETTLE_AFTER_DISCONNECT`]).
    disconnected_at: Option<tokio::time::Instant>,
}

/// The longest "disconnecting" stays shown after the disconnect ended,
/// while the monitor catches up with the containers' removal.
const SETTLE_AFTER_DISCONNECT: Duration = Duration::from_secs(3);

impl<'a> Opened<'a> {
    fn new(
        manager: Arc<StackManager>,
        options: &'a SessionOptions,
        stamp: Option<SystemTime>,
        updates: &'a mpsc::UnboundedSender<Update>,
        paths: &AppPaths,
    ) -> Self {
        let next_backup = manager.settings().backup.daily.then(|| {
            let dir = backup::schedule::folder(manager.settings(), paths);
            let newest = backup::schedule::backups_in(&dir).first().map(|b| b.1);
            let now = SystemTime::now();
            let due = backup::schedule::next_due(newest, now);
            tokio::time::Instant::now() + due.duration_since(now).unwrap_or_default()
        });
        Self {
            next_backup,
            paths: paths.clone(),
            manager,
            options,
            updates,
            stamp,
            busy: Busy::default(),
            cancel: None,
            then_disconnect: false,
            reload_pending: false,
            last: None,
            held_first: None,
            foreign_step: None,
            target_stamp: None,
            disconnected_at: None,
            last_verify: None,
            started: tokio::time::Instant::now(),
            last_verify_file: paths.config_dir().join(LAST_VERIFY_FILE),
        }
    }

    fn send(&self, u: Update) {
        let _ = self.updates.send(u);
    }

    fn operation_running(&self) -> bool {
        self.busy.connecting || self.busy.disconnecting
    }

    async fn run(
        &mut self,
        paths: &AppPaths,
        commands: &mut mpsc::UnboundedReceiver<Command>,
    ) -> Ended {
        let (signals, signal_rx) = mpsc::unbounded_channel::<Signal>();
        let (out_tx, mut out_rx) = mpsc::unbounded_channel::<MonitorOutput>();
        let mut monitor = JoinSet::new();
        {
            let manager = Arc::clone(&self.manager);
            let options = self.options.monitor.clone();
            monitor.spawn(async move {
                let mut report = move |o: MonitorOutput| {
                    let _ = out_tx.send(o);
                };
                monitor::run_with_signals(
                    manager,
                    options,
                    signal_rx,
                    &mut report,
                    std::future::pending(),
                )
                .await;
            });
        }
        let mut first = true;
        let mut ops: JoinSet<Done> = JoinSet::new();
        let (progress_tx, mut progress_rx) = mpsc::unbounded_channel::<Progress>();
        let mut beat = tokio::time::interval_at(
            tokio::time::Instant::now() + self.options.heartbeat,
            self.options.heartbeat,
        );
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        self.follow_foreign_connect(&signals);
        let ended = loop {
            tokio::select! {
                output = out_rx.recv() => match output {
                    Some(MonitorOutput::Snapshot { snapshot, .. }) => {
                        if std::mem::take(&mut first) {
                            self.held_first = Some(*snapshot);
                        } else {
                            self.held_first = None;
                            self.show(*snapshot, false);
                        }
                    }
                    Some(MonitorOutput::Event(e)) => {
                        // Back from a drop or a heal: check everything again.
                        let back = matches!(e.kind, EventKind::Recovered | EventKind::Healed);
                        self.send(Update::Event(e));
                        if back {
                            self.start_verify(&mut ops, false, true);
                        }
                    }
                    Some(MonitorOutput::Heal(h)) => self.send(Update::Heal(h)),
                    Some(MonitorOutput::GatewayLog(line)) => self.send(Update::GatewayLog(line)),
                    None => {
                        tracing::warn!("session: the monitor ended");
                        break Ended::Reopen;
                    }
                },
                Some(p) = progress_rx.recv() => {
                    match &p {
                        Progress::Step { step, number, total } => {
                            tracing::info!("[{number}/{total}] {}", step.label());
                            // Not after the connect's end came in (two channels).
                            if self.busy.connecting {
                                let _ = signals.send(Signal::Connecting(Some(*step)));
                            }
                        }
                        Progress::Note { message } => tracing::info!("{message}"),
                        _ => {}
                    }
                    self.send(Update::Progress(p));
                }
                _ = beat.tick() => {
                    if let Some(first) = self.held_first.take() {
                        self.show(first, false);
                    } else if let Some(last) = self.last.clone() {
                        self.show(last, true);
                    }
                    if settings_stamp(paths) != self.stamp {
                        tracing::info!("session: the settings changed");
                        self.reload_pending = true;
                    }
                    if self.reload_pending && !self.operation_running() {
                        break Ended::Reopen;
                    }
                    if self.verify_due() {
                        self.start_verify(&mut ops, false, true);
                    }
                    if self.backup_due() {
                        self.start_backup(&mut ops, true);
                    }
                    if !self.busy.connecting {
                        self.follow_foreign_connect(&signals);
                    }
                }
                command = commands.recv() => match command {
                    None => break Ended::Closed,
                    Some(c) => self.on_command(c, &mut ops, &signals, &progress_tx),
                },
                Some(done) = ops.join_next(), if !ops.is_empty() => match done {
                    Ok(done) => self.on_done(done, &mut ops, &signals, &progress_tx),
                    Err(e) => tracing::warn!(error = %e, "session: an operation task failed"),
                },
            }
        };
        // Dropping the JoinSets aborts the monitor (and its tasks) and any
        // operation: an operation runs only while its session does.
        ops.shutdown().await;
        monitor.shutdown().await;
        ended
    }

    /// Send a snapshot: a new one as it is, an unchanged one refreshed.
    fn show(&mut self, mut snapshot: Snapshot, refresh: bool) {
        let now = now_ms();
        if refresh {
            snapshot.at_ms = now;
        }
        if let Some(ended) = self.disconnected_at {
            let gone = matches!(snapshot.state, State::Disconnected | State::Error(_));
            if gone || ended.elapsed() >= SETTLE_AFTER_DISCONNECT {
                self.disconnected_at = None;
                self.set_busy(|b| b.disconnecting = false);
            }
        }
        self.last = Some(snapshot.clone());
        self.send(Update::Snapshot {
            at_ms: now,
            snapshot: Box::new(snapshot),
            refresh,
        });
    }

    fn set_busy(&mut self, f: impl FnOnce(&mut Busy)) {
        let before = self.busy;
        f(&mut self.busy);
        if self.busy != before {
            self.send(Update::Busy(self.busy));
        }
    }

    /// A connect in another process (`tvpn connect`) shows its steps here.
    fn follow_foreign_connect(&mut self, signals: &mpsc::UnboundedSender<Signal>) {
        let Some(file) = self.manager.target_file() else {
            return;
        };
        let stamp = std::fs::metadata(file.path())
            .and_then(|m| m.modified())
            .ok();
        // Unchanged, and no connect shown whose process may have died.
        if stamp == self.target_stamp && self.foreign_step.is_none() {
            return;
        }
        self.target_stamp = stamp;
        let step = file.live_connect().map(|c| c.step);
        if step != self.foreign_step {
            self.foreign_step = step;
            let _ = signals.send(Signal::Connecting(step));
        }
    }

    fn on_command(
        &mut self,
        command: Command,
        ops: &mut JoinSet<Done>,
        signals: &mpsc::UnboundedSender<Signal>,
        progress: &mpsc::UnboundedSender<Progress>,
    ) {
        tracing::info!(?command, "session: command");
        match command {
            Command::Connect if !self.operation_running() => {
                self.start_connect(ops, signals, progress);
            }
            Command::Connect => tracing::info!("session: an operation runs already"),
            Command::Cancel | Command::Disconnect => {
                if let Some(token) = &self.cancel {
                    token.cancel();
                    self.then_disconnect = true;
                    // Shown at once; the disconnect itself follows the
                    // connect's rollback.
                    self.set_busy(|b| b.disconnecting = true);
                } else if !self.busy.disconnecting {
                    self.start_disconnect(ops, progress);
                }
            }
            Command::Verify => self.start_verify(ops, false, false),
            Command::TestKillSwitch => self.start_verify(ops, true, false),
            Command::Reload => self.reload_pending = true,
            Command::BackUp => self.start_backup(ops, false),
        }
    }

    /// The daily backup is due, and nothing changes the stack meanwhile.
    fn backup_due(&self) -> bool {
        self.next_backup
            .is_some_and(|at| tokio::time::Instant::now() >= at)
            && !self.operation_running()
            && !self.busy.backing_up
    }

    /// Write a backup into the backups folder, unless one is on its way.
    fn start_backup(&mut self, ops: &mut JoinSet<Done>, scheduled: bool) {
        if self.busy.backing_up {
            return;
        }
        self.set_busy(|b| b.backing_up = true);
        if self.manager.settings().backup.daily {
            self.next_backup = Some(tokio::time::Instant::now() + backup::schedule::PERIOD);
        }
        let manager = Arc::clone(&self.manager);
        let paths = self.paths.clone();
        ops.spawn(async move {
            Done::Backup {
                result: backup::schedule::run(&manager, &paths)
                    .await
                    .map_err(|e| e.to_string()),
                scheduled,
            }
        });
    }

    /// The hourly checks are due: protected, and an hour since the last
    /// ones (or since the session began).
    fn verify_due(&self) -> bool {
        let protected = self
            .last
            .as_ref()
            .is_some_and(|s| s.state == State::Protected);
        let since = self.last_verify.unwrap_or(self.started);
        protected && !self.operation_running() && since.elapsed() >= self.options.verify_every
    }

    /// Run the checks (the live test too with `kill_switch`), unless they
    /// run already.
    fn start_verify(&mut self, ops: &mut JoinSet<Done>, kill_switch: bool, scheduled: bool) {
        if self.busy.verifying {
            return;
        }
        self.set_busy(|b| b.verifying = true);
        self.last_verify = Some(tokio::time::Instant::now());
        let manager = Arc::clone(&self.manager);
        ops.spawn(async move {
            Done::Verify {
                report: verify::report(&manager, kill_switch).await,
                scheduled,
            }
        });
    }

    fn start_connect(
        &mut self,
        ops: &mut JoinSet<Done>,
        signals: &mpsc::UnboundedSender<Signal>,
        progress: &mpsc::UnboundedSender<Progress>,
    ) {
        let token = CancelToken::new();
        self.cancel = Some(token.clone());
        self.foreign_step = None;
        self.set_busy(|b| b.connecting = true);
        let _ = signals.send(Signal::Connecting(Some(ConnectStep::Preparing)));
        let manager = Arc::clone(&self.manager);
        let progress = progress.clone();
        ops.spawn(async move {
            let mut report = move |p: Progress| {
                let _ = progress.send(p);
            };
            Done::Connect(manager.connect(&mut report, &token).await)
        });
    }

    fn start_disconnect(
        &mut self,
        ops: &mut JoinSet<Done>,
        progress: &mpsc::UnboundedSender<Progress>,
    ) {
        self.set_busy(|b| b.disconnecting = true);
        let manager = Arc::clone(&self.manager);
        let progress = progress.clone();
        ops.spawn(async move {
            let mut report = move |p: Progress| {
                let _ = progress.send(p);
            };
            Done::Disconnect(manager.disconnect(&mut report).await)
        });
    }

    fn on_done(
        &mut self,
        done: Done,
        ops: &mut JoinSet<Done>,
        signals: &mpsc::UnboundedSender<Signal>,
        progress: &mpsc::UnboundedSender<Progress>,
    ) {
        match done {
            Done::Connect(result) => {
                self.cancel = None;
                self.set_busy(|b| b.connecting = false);
                match result {
                    Ok(connected) => {
                        tracing::info!(ip = %connected.public_ip, "session: connected");
                        let _ = signals.send(Signal::Connecting(None));
                        self.send(Update::Connected(Box::new(connected)));
                        self.start_verify(ops, false, true);
                    }
                    Err(e) if matches!(e.root(), StackError::Cancelled) => {
                        tracing::info!("session: connect cancelled");
                        let _ = signals.send(Signal::Connecting(None));
                        self.send(Update::Cancelled);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "session: connect failed");
                        // The monitor's ConnectFailed event tells the user.
                        let _ = signals.send(Signal::ConnectFailed(e.to_string()));
                    }
                }
                if std::mem::take(&mut self.then_disconnect) {
                    self.start_disconnect(ops, progress);
                }
            }
            Done::Disconnect(result) => {
                // A connect in another process that it stopped ends now.
                self.follow_foreign_connect(signals);
                match result {
                    Ok(n) => {
                        tracing::info!(removed = n, "session: disconnected");
                        self.disconnected_at = Some(tokio::time::Instant::now());
                    }
                    Err(e) => {
                        self.set_busy(|b| b.disconnecting = false);
                        tracing::warn!(error = %e, "session: disconnect failed");
                        self.send(Update::Failed {
                            operation: Operation::Disconnect,
                            error: e.to_string(),
                        });
                    }
                }
            }
            Done::Verify { report, scheduled } => {
                self.set_busy(|b| b.verifying = false);
                keep_last_verify(&self.last_verify_file, &report);
                self.send(Update::Verified { report, scheduled });
            }
            Done::Backup { result, scheduled } => {
                self.set_busy(|b| b.backing_up = false);
                match result {
                    Ok(done) => {
                        tracing::info!(
                            path = %done.path.display(),
                            removed = done.removed.len(),
                            scheduled,
                            "session: backed up"
                        );
                        self.send(Update::BackedUp {
                            path: done.path,
                            removed: done.removed.len(),
                            scheduled,
                        });
                    }
                    Err(error) => {
                        tracing::warn!(%error, scheduled, "session: backup failed");
                        self.send(Update::Failed {
                            operation: Operation::Backup,
                            error,
                        });
                    }
                }
            }
        }
    }
}

/// The last verify's result, beside the settings.
pub const LAST_VERIFY_FILE: &str = "last-verify.json";

/// Keep `report` (redacted: no real address reaches a file).
fn keep_last_verify(path: &std::path::Path, report: &verify::Report) {
    let written = serde_json::to_vec_pretty(&report.redacted())
        .map_err(std::io::Error::other)
        .and_then(|bytes| crate::settings::write_atomic(path, &bytes));
    if let Err(e) = written {
        tracing::warn!(error = %e, "cannot keep the verify result in {}", path.display());
    }
}

fn read_last_verify(path: &std::path::Path) -> Option<verify::Report> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn settings_stamp(paths: &AppPaths) -> Option<SystemTime> {
    std::fs::metadata(paths.settings_file())
        .and_then(|m| m.modified())
        .ok()
}

/// The state to show while the stack manager cannot be opened: what the
/// one-shot report says when it explains it (not set up, Docker down, a
/// settings error), the opening error otherwise (a keychain error, say).
pub fn snapshot_without_monitor(report: &StatusReport, error: &StackError, now: u64) -> Snapshot {
    let from_report = Snapshot::from_report(report, now);
    let explained = matches!(
        error.root(),
        StackError::NotConfigured { .. } | StackError::Docker(_) | StackError::Settings(_)
    ) && matches!(
        from_report.state,
        State::NotConfigured | State::DockerUnavailable | State::Error(_)
    );
    if explained {
        from_report
    } else {
        Snapshot::new(State::Error(error.to_string()), now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{ConfigReport, EngineReport};

    fn report(config: ConfigReport, docker: EngineReport) -> StatusReport {
        StatusReport {
            config,
            docker,
            stack: None,
            stack_error: None,
            vpn: None,
        }
    }

    #[test]
    fn without_a_monitor_the_report_explains_or_the_error_does() {
        let unavailable = EngineReport::Unavailable {
            error: "no socket".into(),
        };
        let not_configured = ConfigReport::NotConfigured {
            path: "/x/settings.toml".into(),
        };
        let err = StackError::NotConfigured {
            path: "/x/settings.toml".into(),
        };
        let s = snapshot_without_monitor(
            &report(not_configured.clone(), unavailable.clone()),
            &err,
            7,
        );
        assert_eq!((s.state, s.at_ms), (State::DockerUnavailable, 7));
        let invalid = ConfigReport::Invalid {
            path: "/x/settings.toml".into(),
            error: "vpn.type: unknown".into(),
        };
        let s = snapshot_without_monitor(
            &report(invalid, unavailable.clone()),
            &StackError::Settings("vpn.type: unknown".into()),
            7,
        );
        assert_eq!(s.state, State::DockerUnavailable);
        // A keychain (or any other) failure is shown as it is.
        let other = StackError::Api {
            action: "list containers".into(),
            message: "denied".into(),
        };
        let s = snapshot_without_monitor(&report(not_configured, unavailable), &other, 7);
        assert_eq!(
            s.state,
            State::Error("Docker refused to list containers: denied".into())
        );
    }
}
