//! The app's runtime: the core monitor supervised on Tauri's async runtime,
//! the latest snapshot it reported, and the user's actions (connect, cancel,
//! disconnect, verify) as tasks that report to that monitor.
//!
//! While the stack manager cannot be opened (not set up, Docker down, a
//! keychain or settings error) the snapshot comes from `status::collect`,
//! and opening is tried again every few seconds.
//!
//! While a connect or a disconnect runs, the monitor is paused (see
//! [`PAUSE_MONITOR_DURING_OPERATIONS`]) and the tray shows the operation's own
//! progress; the monitor starts again when it ends.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt as _;
use tokio::sync::{mpsc, Notify};
use tvpn_core::monitor::{
    self, now_ms, ConnectStep, Event, EventKind, MonitorOptions, MonitorOutput, Signal, Snapshot,
    State,
};
use tvpn_core::paths::AppPaths;
use tvpn_core::stack::{Progress, StackError, StackManager};
use tvpn_core::status::StatusReport;
use tvpn_core::verify::Check;

use crate::hooks::Hooks;
use crate::menu_model::{menu_model, Busy, MenuModel, Prefs};
use crate::prefs::{PrefsError, TrayPrefs};

/// How long to wait before opening the stack manager again after a failure.
const RETRY_OPEN: Duration = Duration::from_secs(3);
/// How often the monitor's task proves it is alive (see [`Runtime::model`]).
const HEARTBEAT: Duration = Duration::from_secs(1);
/// How often the settings file is checked for a change (the monitor is then
/// started again with the new settings).
const SETTINGS_CHECK: Duration = Duration::from_secs(2);
/// The monitor's healer reconciles on every container event, also those a
/// connect or a disconnect causes itself, and `StackManager` does not
/// serialise its operations: a heal that hardens qBittorrent while connect
/// does the same makes qBittorrent refuse connect's password (seen in the
/// tray test, one run in two). Until the core serialises connect, disconnect
/// and reconcile, the app stops the monitor for the length of the operation.
/// With `false`, the monitor keeps running and gets each step as
/// `Signal::Connecting` instead.
const PAUSE_MONITOR_DURING_OPERATIONS: bool = true;
/// How often a disconnect looks again for containers a cancelled connect
/// may still have been creating.
const CLEANUP_ROUNDS: usize = 3;

/// The monitor that runs, and how to talk to it.
#[derive(Clone)]
struct Monitor {
    manager: Arc<StackManager>,
    signals: mpsc::UnboundedSender<Signal>,
}

/// The outcome of "Verify Protection…", kept for the settings window.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyOutcome {
    pub at_ms: u64,
    pub protected: bool,
    pub summary: String,
    pub checks: Vec<Check>,
}

struct Inner {
    snapshot: Snapshot,
    /// When the monitor's task was last seen running (ms).
    beat_ms: u64,
    /// A new monitor reports its machine's blank start ("disconnected", no
    /// signal seen yet) at once: it is held back until the first heartbeat,
    /// and dropped when a real snapshot comes first.
    awaiting_first: bool,
    held_first: Option<Snapshot>,
    /// The shown snapshot comes from the running monitor or the running
    /// operation (not from a monitor that stopped): only then does a
    /// heartbeat keep it fresh.
    live: bool,
    monitor: Option<Monitor>,
    /// The opened stack manager (kept while the monitor is paused).
    manager: Option<Arc<StackManager>>,
    /// Why the stack manager could not be opened, while it cannot.
    open_error: Option<String>,
    connect: Option<tauri::async_runtime::JoinHandle<()>>,
    busy: Busy,
    prefs: TrayPrefs,
    launch_at_login: bool,
    last_model: Option<MenuModel>,
    last_verify: Option<VerifyOutcome>,
}

/// Shared by the tray, the menu handlers and the settings window's commands.
pub struct Runtime {
    paths: AppPaths,
    hooks: Option<Hooks>,
    inner: Mutex<Inner>,
    /// The tray should be refreshed now.
    refresh: Notify,
    /// The supervisor should try to open the manager now.
    reopen: Notify,
    /// An operation starts: the supervisor pauses the monitor.
    pause: Notify,
    /// The operation ended: the supervisor starts the monitor again.
    resume: Notify,
}

impl Runtime {
    pub fn new(paths: AppPaths, hooks: Option<Hooks>) -> Self {
        let prefs = TrayPrefs::load(paths.config_dir()).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "tray preferences unreadable; using the defaults");
            TrayPrefs::default()
        });
        Self {
            paths,
            hooks,
            inner: Mutex::new(Inner {
                // Timestamp 0: "Status unknown" until the first report.
                snapshot: Snapshot::new(State::Disconnected, 0),
                beat_ms: 0,
                awaiting_first: false,
                held_first: None,
                live: false,
                monitor: None,
                manager: None,
                open_error: None,
                connect: None,
                busy: Busy::default(),
                prefs,
                launch_at_login: false,
                last_model: None,
                last_verify: None,
            }),
            refresh: Notify::new(),
            reopen: Notify::new(),
            pause: Notify::new(),
            resume: Notify::new(),
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn paths(&self) -> &AppPaths {
        &self.paths
    }

    pub fn hooks(&self) -> Option<&Hooks> {
        self.hooks.as_ref()
    }

    /// The latest snapshot, stamped with the monitor's last sign of life:
    /// the monitor reports a snapshot only when a value changes, so an
    /// unchanged one is as fresh as the monitor's task.
    pub fn snapshot(&self) -> Snapshot {
        let inner = self.inner();
        let mut s = inner.snapshot.clone();
        let operation = inner.connect.is_some() || inner.busy.disconnecting;
        if inner.live && (inner.monitor.is_some() || (PAUSE_MONITOR_DURING_OPERATIONS && operation))
        {
            s.at_ms = s.at_ms.max(inner.beat_ms);
        }
        s
    }

    pub fn model(&self, now_ms: u64) -> MenuModel {
        let snapshot = self.snapshot();
        let inner = self.inner();
        let prefs = Prefs {
            launch_at_login: inner.launch_at_login,
            speed_in_title: inner.prefs.speed_in_title,
        };
        menu_model(&snapshot, &inner.busy, &prefs, now_ms)
    }

    /// Record the model about to be shown: `Some(previous)` when it differs
    /// from the last one (`previous` is `None` the first time).
    pub fn show(&self, model: &MenuModel) -> Option<Option<MenuModel>> {
        let mut inner = self.inner();
        if inner.last_model.as_ref() == Some(model) {
            return None;
        }
        Some(inner.last_model.replace(model.clone()))
    }

    /// What the tray showed last (the action item's meaning on a click).
    pub fn last_model(&self) -> Option<MenuModel> {
        self.inner().last_model.clone()
    }

    pub fn refresh_now(&self) {
        self.refresh.notify_one();
    }

    pub async fn refreshed(&self) {
        self.refresh.notified().await;
    }

    pub fn prefs(&self) -> TrayPrefs {
        self.inner().prefs
    }

    pub fn set_prefs(&self, prefs: TrayPrefs) -> Result<(), PrefsError> {
        prefs.save(self.paths.config_dir())?;
        self.inner().prefs = prefs;
        self.refresh_now();
        Ok(())
    }

    pub fn set_launch_at_login(&self, on: bool) {
        self.inner().launch_at_login = on;
        self.refresh_now();
    }

    pub fn last_verify(&self) -> Option<VerifyOutcome> {
        self.inner().last_verify.clone()
    }

    /// Start the monitor again (after the settings changed).
    pub fn reload(&self) {
        self.reopen.notify_one();
    }

    fn monitor(&self) -> Option<Monitor> {
        self.inner().monitor.clone()
    }

    fn manager(&self) -> Option<Arc<StackManager>> {
        self.inner().manager.clone()
    }

    /// The monitor stays stopped while this is true.
    fn paused(&self) -> bool {
        PAUSE_MONITOR_DURING_OPERATIONS && self.operation_running()
    }

    /// An operation begins: stop the monitor (it is started again when the
    /// operation ends).
    fn pause_monitor(&self) {
        if PAUSE_MONITOR_DURING_OPERATIONS && self.monitor().is_some() {
            self.pause.notify_one();
        }
    }

    /// Show an operation's progress: to the monitor, or (paused) directly.
    fn progress(&self, signals: Option<&mpsc::UnboundedSender<Signal>>, step: ConnectStep) {
        if PAUSE_MONITOR_DURING_OPERATIONS {
            self.set_local(State::Connecting(step));
            self.refresh_now();
        } else if let Some(tx) = signals {
            let _ = tx.send(Signal::Connecting(Some(step)));
        }
    }

    /// A state the app knows from its own operation (the monitor paused).
    fn set_local(&self, state: State) {
        let mut inner = self.inner();
        inner.held_first = None;
        inner.snapshot = Snapshot::new(state, now_ms());
        inner.live = true;
        drop(inner);
        self.refresh_now();
    }

    fn operation_ended(&self) {
        self.resume.notify_one();
        self.refresh_now();
    }

    fn operation_running(&self) -> bool {
        let inner = self.inner();
        inner.connect.is_some() || inner.busy.disconnecting
    }

    fn set_busy(&self, f: impl FnOnce(&mut Busy)) {
        f(&mut self.inner().busy);
        self.refresh_now();
    }

    fn on_output(&self, app: &AppHandle, output: MonitorOutput) {
        match output {
            MonitorOutput::Snapshot { snapshot, .. } => {
                tracing::debug!(state = ?snapshot.state, "monitor snapshot");
                if self.paused() {
                    // A monitor being stopped: the operation's progress shows.
                    return;
                }
                let mut inner = self.inner();
                if std::mem::take(&mut inner.awaiting_first) {
                    inner.held_first = Some(*snapshot);
                    return;
                }
                inner.held_first = None;
                inner.snapshot = *snapshot;
                inner.live = true;
                drop(inner);
                self.refresh_now();
            }
            MonitorOutput::Event(event) => {
                tracing::info!(kind = ?event.kind, notify = event.notify, "{}", event.message);
                if should_notify(&event, &self.prefs()) {
                    notify(app, event_title(&event.kind), &event.message);
                }
            }
            MonitorOutput::Heal(h) => {
                tracing::info!(
                    heal = %serde_json::to_string(&h).unwrap_or_default(),
                    "healer"
                );
            }
        }
    }

    /// Connect in a task. Each step is shown (with the monitor paused, see
    /// [`PAUSE_MONITOR_DURING_OPERATIONS`]; otherwise sent to the monitor as
    /// `Signal::Connecting`, the end as `Connecting(None)` or `ConnectFailed`).
    pub fn connect(self: &Arc<Self>, app: &AppHandle) {
        let Some(manager) = self.manager() else {
            let why = self
                .inner()
                .open_error
                .clone()
                .unwrap_or_else(|| "the stack is not ready yet".to_owned());
            notify(app, "Torrent VPN can't connect", &why);
            self.reopen.notify_one();
            return;
        };
        let signals = self.monitor().map(|m| m.signals);
        if self.operation_running() {
            return;
        }
        tracing::info!("connect requested");
        self.progress(signals.as_ref(), ConnectStep::Preparing);
        let mut inner = self.inner();
        if inner.connect.is_some() || inner.busy.disconnecting {
            return;
        }
        let rt = Arc::clone(self);
        let app = app.clone();
        inner.connect = Some(tauri::async_runtime::spawn(async move {
            let mut progress = |p: Progress| match p {
                Progress::Step {
                    step,
                    number,
                    total,
                } => {
                    tracing::info!("connect [{number}/{total}] {}", step.label());
                    rt.progress(signals.as_ref(), step);
                }
                Progress::Note { message } => tracing::info!("connect: {message}"),
                Progress::Pull { image, status, .. } => {
                    tracing::debug!("pulling {image}: {status}");
                }
                Progress::StepDone { .. } => {}
            };
            let result = manager.connect(&mut progress).await;
            if PAUSE_MONITOR_DURING_OPERATIONS {
                // Until the monitor, started again, says more.
                rt.set_local(match &result {
                    Ok(_) => State::Connecting(ConnectStep::WaitingForTunnel),
                    Err(e) => State::Error(e.to_string()),
                });
            }
            rt.inner().connect = None;
            match result {
                Ok(c) => {
                    tracing::info!(ip = %c.public_ip, port = ?c.forwarded_port, "connected");
                    if let Some(tx) = &signals {
                        let _ = tx.send(Signal::Connecting(None));
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "connect failed");
                    if PAUSE_MONITOR_DURING_OPERATIONS {
                        notify(&app, "Torrent VPN: connect failed", &e.to_string());
                    } else if let Some(tx) = &signals {
                        // The monitor's ConnectFailed event notifies.
                        let _ = tx.send(Signal::ConnectFailed(e.to_string()));
                    }
                }
            }
            rt.operation_ended();
        }));
        drop(inner);
        self.pause_monitor();
    }

    /// Cancel a running connect: abort its task (its own rollback does not
    /// run then), and remove whatever it had started.
    pub fn cancel(self: &Arc<Self>, app: &AppHandle) {
        let Some(task) = self.inner().connect.take() else {
            return;
        };
        tracing::info!("connect cancelled");
        task.abort();
        self.teardown(app, Some(task));
    }

    /// Disconnect (a running connect is cancelled first).
    pub fn disconnect(self: &Arc<Self>, app: &AppHandle) {
        if self.inner().connect.is_some() {
            self.cancel(app);
            return;
        }
        tracing::info!("disconnect requested");
        self.teardown(app, None);
    }

    fn teardown(
        self: &Arc<Self>,
        app: &AppHandle,
        aborted: Option<tauri::async_runtime::JoinHandle<()>>,
    ) {
        let Some(manager) = self.manager() else {
            return;
        };
        let signals = self.monitor().map(|m| m.signals);
        {
            let mut inner = self.inner();
            if inner.busy.disconnecting {
                return;
            }
            inner.busy.disconnecting = true;
        }
        if PAUSE_MONITOR_DURING_OPERATIONS {
            // The tray shows "Disconnecting…" from the operation, not from
            // the snapshot of the monitor being paused.
            let state = self.inner().snapshot.state.clone();
            self.set_local(state);
        }
        self.pause_monitor();
        let rt = Arc::clone(self);
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            if let Some(task) = aborted {
                // Wait until the aborted connect is really gone.
                let _ = task.await;
            }
            let mut note = |p: Progress| {
                if let Progress::Note { message } = p {
                    tracing::info!("disconnect: {message}");
                }
            };
            let mut failure = None;
            for round in 0..CLEANUP_ROUNDS {
                match manager.disconnect(&mut note).await {
                    Ok(0) => break,
                    Ok(n) => {
                        tracing::info!(round, removed = n, "disconnected");
                        // A create that was on its way when the connect was
                        // aborted may land just after: look again.
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            if PAUSE_MONITOR_DURING_OPERATIONS {
                // Until the monitor, started again, says more.
                rt.set_local(match &failure {
                    None => State::Disconnected,
                    Some(e) => State::Error(format!("disconnect failed: {e}")),
                });
            }
            // Ends a cancelled connect's "connecting" (no-op otherwise).
            if let Some(tx) = &signals {
                let _ = tx.send(Signal::Connecting(None));
            }
            rt.set_busy(|b| b.disconnecting = false);
            rt.operation_ended();
            if let Some(e) = failure {
                tracing::warn!(error = %e, "disconnect failed");
                notify(&app, "Torrent VPN: disconnect failed", &e.to_string());
            }
        });
    }

    /// "Verify Protection…": every check on the running stack; the summary
    /// as a notification, each check in the log.
    pub fn verify(self: &Arc<Self>, app: &AppHandle) {
        let Some(manager) = self.manager() else {
            return;
        };
        {
            let mut inner = self.inner();
            if inner.busy.verifying {
                return;
            }
            inner.busy.verifying = true;
        }
        self.refresh_now();
        let rt = Arc::clone(self);
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            let outcome = match tvpn_core::verify::verify(&manager).await {
                Ok(checks) => verify_outcome(checks, now_ms()),
                Err(e) => VerifyOutcome {
                    at_ms: now_ms(),
                    protected: false,
                    summary: format!("Verify could not run: {e}"),
                    checks: Vec::new(),
                },
            };
            for c in &outcome.checks {
                if c.ok {
                    tracing::info!(check = c.name, "verify ok: {}", c.detail);
                } else {
                    tracing::warn!(check = c.name, "verify FAILED: {}", c.detail);
                }
            }
            tracing::info!(protected = outcome.protected, "{}", outcome.summary);
            notify(&app, "Torrent VPN: Verify Protection", &outcome.summary);
            if let Some(h) = rt.hooks() {
                h.write_json("verify.json", &outcome);
            }
            rt.inner().last_verify = Some(outcome);
            rt.set_busy(|b| b.verifying = false);
        });
    }

    /// The Web UI address of the running profile.
    /// Put the Web UI password on the clipboard for a minute and say so in a
    /// notification (`opening`: the Web UI is being opened too).
    pub fn copy_webui_password(self: &Arc<Self>, app: &AppHandle, opening: bool) {
        let Some(manager) = self.manager() else {
            notify(app, "Web UI password", "Torrent VPN is not set up yet.");
            return;
        };
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            let login =
                tvpn_core::stack::webui::login_for(manager.settings(), manager.secrets()).await;
            let (title, body) = match login {
                Ok(tvpn_core::stack::webui::WebUiLogin {
                    password: Some(password),
                    username,
                    ..
                }) => match crate::clipboard::copy_for_a_minute(password) {
                    Ok(()) if opening => (
                        "Web UI password copied",
                        format!(
                            "Log in as {username} and paste it; the clipboard is cleared in 60 s."
                        ),
                    ),
                    Ok(()) => (
                        "Web UI password copied",
                        format!("For user {username}; the clipboard is cleared in 60 s."),
                    ),
                    Err(e) => ("Web UI password not copied", e),
                },
                Ok(_) => (
                    "No Web UI password yet",
                    "It is made at the first Connect.".to_owned(),
                ),
                Err(e) => ("Web UI password not copied", e.to_string()),
            };
            notify(&app, title, &body);
        });
    }

    pub fn webui_url(&self) -> Option<String> {
        self.manager()
            .map(|m| tvpn_core::stack::harden::webui_url(m.settings()))
    }

    fn monitor_started(&self, monitor: Monitor) {
        let mut inner = self.inner();
        inner.manager = Some(Arc::clone(&monitor.manager));
        inner.monitor = Some(monitor);
        inner.awaiting_first = true;
        inner.held_first = None;
        inner.open_error = None;
        inner.beat_ms = now_ms();
    }

    fn monitor_stopped(&self) {
        let mut inner = self.inner();
        inner.monitor = None;
        // What it said last ages from now on (a paused one's operation shows
        // its own progress).
        inner.live = false;
    }

    fn beat(&self) {
        let mut inner = self.inner();
        inner.beat_ms = now_ms();
        if let Some(first) = inner.held_first.take() {
            inner.snapshot = first;
            inner.live = true;
        }
        drop(inner);
        self.refresh_now();
    }

    fn unopened(&self, snapshot: Snapshot, error: String) {
        let mut inner = self.inner();
        inner.snapshot = snapshot;
        inner.live = false;
        inner.manager = None;
        inner.open_error = Some(error);
        drop(inner);
        self.refresh_now();
    }
}

/// Keep the monitor running: open the stack manager (again every few
/// seconds while that fails), run the core monitor, and start it again when
/// the settings file changes. Never returns.
pub async fn supervise(app: AppHandle, rt: Arc<Runtime>) {
    let mut stamp = settings_stamp(&rt.paths);
    loop {
        // A connect or disconnect runs with the monitor paused: wait for it.
        while rt.paused() {
            rt.beat();
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(250)) => {}
                () = rt.resume.notified() => {}
            }
        }
        match StackManager::open(&rt.paths).await {
            Ok(manager) => {
                let manager = Arc::new(manager);
                let (tx, rx) = mpsc::unbounded_channel();
                rt.monitor_started(Monitor {
                    manager: Arc::clone(&manager),
                    signals: tx,
                });
                tracing::info!(profile = %manager.settings().profile, "monitor started");
                let reporter = Arc::clone(&rt);
                let handle = app.clone();
                let mut report = move |o: MonitorOutput| reporter.on_output(&handle, o);
                let run = monitor::run_with_signals(
                    manager,
                    MonitorOptions::default(),
                    rx,
                    &mut report,
                    std::future::pending(),
                );
                tokio::pin!(run);
                let mut beat =
                    tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
                let mut check = tokio::time::interval(SETTINGS_CHECK);
                loop {
                    tokio::select! {
                        () = &mut run => {
                            tracing::warn!("the monitor ended");
                            break;
                        }
                        _ = beat.tick() => rt.beat(),
                        _ = check.tick() => {
                            let now = settings_stamp(&rt.paths);
                            if now != stamp && !rt.operation_running() {
                                stamp = now;
                                tracing::info!("settings changed: starting the monitor again");
                                break;
                            }
                        }
                        () = rt.pause.notified() => {
                            if rt.paused() {
                                tracing::info!("monitor paused for the operation");
                                break;
                            }
                        }
                        () = rt.reopen.notified() => {
                            if !rt.operation_running() {
                                stamp = settings_stamp(&rt.paths);
                                tracing::info!("reload: starting the monitor again");
                                break;
                            }
                        }
                    }
                }
                // Dropping the monitor's future aborts its tasks.
                rt.monitor_stopped();
            }
            Err(e) => {
                let (report, _) = tvpn_core::status::collect(&rt.paths).await;
                let snapshot = snapshot_without_monitor(&report, &e, now_ms());
                tracing::debug!(error = %e, state = ?snapshot.state, "stack manager not opened");
                rt.unopened(snapshot, e.to_string());
                stamp = settings_stamp(&rt.paths);
                tokio::select! {
                    () = tokio::time::sleep(RETRY_OPEN) => {}
                    () = rt.reopen.notified() => {}
                }
            }
        }
    }
}

/// The last "Verify Protection…" result, for the settings window.
#[tauri::command]
pub fn last_verify(rt: tauri::State<'_, Arc<Runtime>>) -> Option<VerifyOutcome> {
    rt.last_verify()
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

fn verify_outcome(checks: Vec<Check>, at_ms: u64) -> VerifyOutcome {
    let failed: Vec<&str> = checks.iter().filter(|c| !c.ok).map(|c| c.name).collect();
    let protected = !checks.is_empty() && failed.is_empty();
    let summary = if protected {
        format!("Protected: all {} checks passed", checks.len())
    } else {
        format!(
            "NOT protected: {} of {} checks failed ({})",
            failed.len(),
            checks.len(),
            failed.join("; ")
        )
    };
    VerifyOutcome {
        at_ms,
        protected,
        summary,
        checks,
    }
}

/// The core throttles and de-duplicates (`notify`); the user may mute all
/// but leaks.
fn should_notify(event: &Event, prefs: &TrayPrefs) -> bool {
    event.notify && (!prefs.mute_all_but_leaks || event.kind == EventKind::LeakDetected)
}

fn event_title(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::LeakDetected => "Torrent VPN: LEAK",
        EventKind::KillSwitchEngaged => "Torrent VPN: VPN dropped",
        EventKind::ConnectFailed => "Torrent VPN: connect failed",
        _ => "Torrent VPN",
    }
}

fn notify(app: &AppHandle, title: &str, body: &str) {
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::warn!(error = %e, "notification failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tvpn_core::status::{ConfigReport, EngineReport};

    fn report(config: ConfigReport, docker: EngineReport) -> StatusReport {
        StatusReport {
            config,
            docker,
            stack: None,
            stack_error: None,
            vpn: None,
        }
    }

    fn event(kind: EventKind, notify: bool) -> Event {
        Event {
            kind,
            at_ms: 1,
            message: "m".into(),
            notify,
        }
    }

    #[test]
    fn notifications_follow_the_core_and_the_mute() {
        let loud = TrayPrefs {
            speed_in_title: true,
            mute_all_but_leaks: false,
        };
        let muted = TrayPrefs {
            mute_all_but_leaks: true,
            ..loud
        };
        assert!(should_notify(
            &event(EventKind::KillSwitchEngaged, true),
            &loud
        ));
        assert!(!should_notify(
            &event(EventKind::KillSwitchEngaged, false),
            &loud
        ));
        assert!(!should_notify(
            &event(EventKind::KillSwitchEngaged, true),
            &muted
        ));
        assert!(!should_notify(
            &event(EventKind::ConnectFailed, true),
            &muted
        ));
        assert!(should_notify(&event(EventKind::LeakDetected, true), &muted));
        assert!(!should_notify(
            &event(EventKind::LeakDetected, false),
            &muted
        ));
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

    #[test]
    fn verify_summaries() {
        let ok = |name| Check {
            name,
            ok: true,
            detail: String::new(),
        };
        let o = verify_outcome(vec![ok("a"), ok("b")], 1);
        assert!(o.protected);
        assert_eq!(o.summary, "Protected: all 2 checks passed");
        let o = verify_outcome(
            vec![
                ok("a"),
                Check {
                    name: "the kill switch blocks",
                    ok: false,
                    detail: "leaked".into(),
                },
            ],
            1,
        );
        assert!(!o.protected);
        assert_eq!(
            o.summary,
            "NOT protected: 1 of 2 checks failed (the kill switch blocks)"
        );
        assert!(!verify_outcome(Vec::new(), 1).protected);
    }
}
