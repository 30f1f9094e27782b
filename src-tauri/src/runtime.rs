//! The app's runtime: one task that owns the app's state and drains the
//! core session's updates and one [`Event`] stream (menu clicks and the
//! test hook's, preference changes), and wakes on its own only when the
//! shown snapshot turns stale ([`stale_at`]). After
//! each it renders: the pure menu model to the tray, notifications, and a
//! read-only [`View`] for the settings window. It decides nothing about the
//! stack; `tvpn_core::session` does, as for `tvpn watch`.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use tauri::{AppHandle, Manager as _};
use tauri_plugin_opener::OpenerExt as _;
use tokio::sync::{mpsc, watch};
use tvpn_core::gluetun::log::LogLine;
use tvpn_core::monitor::{now_ms, Snapshot, State};
use tvpn_core::paths::AppPaths;
use tvpn_core::session::{self, Busy, Command, Operation, SessionOptions, Update};
use tvpn_core::stack::StackManager;
use tvpn_core::verify::Report;

use crate::hooks::Hooks;
use crate::login::LoginItem;
use crate::menu_model::{menu_model, stale_at, Action, MenuModel, Prefs};
use crate::notify::{event_title, notify, should_notify};
use crate::prefs::TrayPrefs;
use crate::tray::{ids, Items};

/// Everything the runtime's task drains.
#[derive(Debug)]
pub enum Event {
    /// A menu item's id: a click, or the test hook.
    Menu(String),
    /// The tray preferences were saved.
    Prefs(TrayPrefs),
    /// "Check for Updates…" found this.
    UpdateChecked(crate::updates::Checked),
}

/// What the settings window reads; published by the runtime's task.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub prefs: TrayPrefs,
    pub last_verify: Option<Report>,
    /// The gateway's latest warnings and errors, oldest first
    /// ([`GATEWAY_LOG_KEPT`] at most).
    pub gateway_log: std::collections::VecDeque<LogLine>,
}

/// How many of the gateway's warnings the window can show.
pub const GATEWAY_LOG_KEPT: usize = 100;

/// The handle the rest of the app holds.
#[derive(Clone)]
pub struct Runtime {
    events: mpsc::UnboundedSender<Event>,
    view: watch::Receiver<View>,
    paths: AppPaths,
}

/// The receiving ends, for [`start`].
pub struct Inbox {
    events: mpsc::UnboundedReceiver<Event>,
    view: watch::Sender<View>,
}

impl Runtime {
    pub fn new(paths: AppPaths) -> (Self, Inbox) {
        let prefs = TrayPrefs::load(paths.config_dir()).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "tray preferences unreadable; using the defaults");
            TrayPrefs::default()
        });
        let (events_tx, events) = mpsc::unbounded_channel();
        let (view_tx, view) = watch::channel(View {
            prefs,
            ..View::default()
        });
        let rt = Self {
            events: events_tx,
            view,
            paths,
        };
        (
            rt,
            Inbox {
                events,
                view: view_tx,
            },
        )
    }

    pub fn send(&self, event: Event) {
        let _ = self.events.send(event);
    }

    pub fn view(&self) -> View {
        self.view.borrow().clone()
    }

    pub fn paths(&self) -> &AppPaths {
        &self.paths
    }
}

/// Start the session and the runtime's task.
pub fn start(
    app: &AppHandle,
    rt: &Runtime,
    inbox: Inbox,
    items: Items,
    hooks: Option<Hooks>,
    login: LoginItem,
) {
    let (commands, command_rx) = mpsc::unbounded_channel();
    let (updates, update_rx) = mpsc::unbounded_channel();
    let options = SessionOptions::default();
    tauri::async_runtime::spawn(session::run(rt.paths.clone(), options, command_rx, updates));
    let launch_at_login = login.is_enabled();
    let state = Loop {
        app: app.clone(),
        items,
        hooks,
        commands,
        view: inbox.view,
        // Timestamp 0: "Status unknown" until the first report.
        snapshot: Snapshot::new(State::Disconnected, 0),
        busy: Busy::default(),
        launch_at_login,
        login,
        update: None,
        updating: false,
        manager: None,
        shown: None,
        paths: rt.paths.clone(),
    };
    tauri::async_runtime::spawn(state.run(update_rx, inbox.events));
}

struct Loop {
    app: AppHandle,
    items: Items,
    hooks: Option<Hooks>,
    commands: mpsc::UnboundedSender<Command>,
    view: watch::Sender<View>,
    snapshot: Snapshot,
    busy: Busy,
    launch_at_login: bool,
    login: LoginItem,
    /// A newer version found by the last check, until it is installed.
    update: Option<Arc<tauri_plugin_updater::Update>>,
    /// A check or an install runs.
    updating: bool,
    manager: Option<Arc<StackManager>>,
    shown: Option<MenuModel>,
    paths: AppPaths,
}

impl Loop {
    async fn run(
        mut self,
        mut updates: mpsc::UnboundedReceiver<Update>,
        mut events: mpsc::UnboundedReceiver<Event>,
    ) {
        loop {
            self.render();
            // The model changes with time only when the snapshot turns
            // stale: no other wake-up while the session is quiet.
            // Once stale, it stays so until the next update.
            let now = now_ms();
            let stale = stale_at(&self.snapshot)
                .filter(|at| *at > now)
                .map(|at| Instant::now() + Duration::from_millis(at - now));
            tokio::select! {
                Some(update) = updates.recv() => self.on_update(update),
                Some(event) = events.recv() => self.on_event(event),
                () = tokio::time::sleep_until(stale.unwrap_or_else(Instant::now)), if stale.is_some() => {}
                else => break,
            }
        }
    }

    fn render(&mut self) {
        let view = self.view.borrow();
        let prefs = Prefs {
            launch_at_login: self.launch_at_login,
            installed_app: self.login.available(),
            update_version: self.update.as_ref().map(|u| u.version.clone()),
            updating: self.updating,
            speed_in_title: view.prefs.speed_in_title,
        };
        let (s, busy) = (&self.snapshot, &self.busy);
        let model = menu_model(s, busy, &prefs, view.last_verify.as_ref(), now_ms());
        drop(view);
        if self.shown.as_ref() != Some(&model) {
            let (last, hooks) = (self.shown.as_ref(), self.hooks.as_ref());
            crate::tray::apply(&self.items, &model, last, hooks);
            self.shown = Some(model);
        }
    }

    fn command(&self, command: Command) {
        let _ = self.commands.send(command);
    }

    fn on_update(&mut self, update: Update) {
        match update {
            Update::Snapshot { snapshot, .. } => self.snapshot = *snapshot,
            Update::Event(event) => {
                tracing::info!(kind = ?event.kind, notify = event.notify, "{}", event.message);
                if should_notify(&event, &self.view.borrow().prefs) {
                    notify(&self.app, event_title(&event.kind), &event.message);
                }
            }
            Update::Heal(h) => {
                tracing::info!(heal = %serde_json::to_string(&h).unwrap_or_default(), "healer");
            }
            // The session logs each step.
            Update::Progress(_) => {}
            Update::Opened { manager, .. } => self.manager = manager,
            Update::Unopened { error } => {
                tracing::debug!(%error, "stack manager not opened");
                self.manager = None;
            }
            Update::Busy(busy) => self.busy = busy,
            Update::Connected(c) => tracing::info!(ip = %c.public_ip, "connected"),
            Update::Cancelled => tracing::info!("connect cancelled"),
            Update::Failed { operation, error } => {
                tracing::warn!(?operation, %error, "operation failed");
                let title = match operation {
                    Operation::Connect => "Torrent VPN can't connect",
                    Operation::Disconnect => "Torrent VPN: disconnect failed",
                    Operation::Backup => "Torrent VPN: backup failed",
                };
                notify(&self.app, title, &error);
            }
            Update::Verified { report, scheduled } => {
                crate::notify::verified(&self.app, &report, scheduled);
                if let Some(h) = &self.hooks {
                    h.write_json("verify.json", &report.redacted());
                }
                self.view.send_modify(|v| v.last_verify = Some(report));
            }
            Update::LastVerified(report) => self.view.send_modify(|v| v.last_verify = Some(report)),
            Update::GatewayLog(line) => self.view.send_modify(|v| {
                v.gateway_log.push_back(line);
                while v.gateway_log.len() > GATEWAY_LOG_KEPT {
                    v.gateway_log.pop_front();
                }
            }),
            // The daily one quietly; one asked for with a word and the
            // folder shown.
            Update::BackedUp {
                path, scheduled, ..
            } => {
                tracing::info!(path = %path.display(), scheduled, "backed up");
                if !scheduled {
                    crate::notify::backed_up(&self.app, &path);
                }
            }
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Prefs(prefs) => self.view.send_modify(|v| v.prefs = prefs),
            Event::UpdateChecked(checked) => {
                use crate::updates::Checked;
                self.updating = false;
                let (title, body) = match checked {
                    Checked::Available(update) => {
                        let body = format!(
                            "Torrent VPN {} is out (you have {}): choose Install Update in the menu",
                            update.version, update.current_version
                        );
                        self.update = Some(Arc::from(update));
                        ("Torrent VPN: Update available", body)
                    }
                    Checked::UpToDate => (
                        "Torrent VPN is up to date",
                        format!(
                            "You have the latest version ({})",
                            env!("CARGO_PKG_VERSION")
                        ),
                    ),
                    Checked::Unavailable(why) => {
                        tracing::warn!(%why, "no update check");
                        ("Torrent VPN: Check for Updates", why)
                    }
                };
                notify(&self.app, title, &body);
            }
            Event::Menu(id) => {
                if let Err(e) = self.on_menu(&id) {
                    tracing::warn!(item = id, error = %e, "menu action failed");
                }
            }
        }
    }

    fn on_menu(&mut self, id: &str) -> Result<(), String> {
        let app = self.app.clone();
        match id {
            ids::ACTION => self.on_action(),
            ids::SETTINGS => crate::show_settings(&app).map_err(|e| e.to_string())?,
            ids::OPEN_WEBUI | ids::COPY_PASSWORD => {
                let opening = id == ids::OPEN_WEBUI;
                let manager = self.manager.clone();
                if let (true, Some(m)) = (opening, &manager) {
                    let url = tvpn_core::stack::harden::webui_url(m.settings());
                    app.opener()
                        .open_url(url, None::<&str>)
                        .map_err(|e| e.to_string())?;
                }
                // The login page asks for the password: it is on the
                // clipboard, and a notification says so.
                tauri::async_runtime::spawn(async move {
                    crate::clipboard::copy_webui_password(&app, manager.as_deref(), opening).await;
                });
            }
            ids::VERIFY => self.command(Command::Verify),
            ids::BACK_UP => self.command(Command::BackUp),
            ids::UPDATES if !self.updating => {
                self.updating = true;
                if let Some(update) = self.update.clone() {
                    notify(
                        &app,
                        "Torrent VPN: Update",
                        &format!("Downloading Torrent VPN {}…", update.version),
                    );
                    tauri::async_runtime::spawn(async move {
                        let error = crate::updates::install(&app, &update).await;
                        tracing::warn!(%error, "update not installed");
                        if let Some(rt) = app.try_state::<Runtime>() {
                            rt.send(Event::UpdateChecked(crate::updates::Checked::Unavailable(
                                error,
                            )));
                        }
                    });
                } else {
                    let feed = self
                        .manager
                        .as_ref()
                        .and_then(|m| m.settings().updates.feed_url.clone());
                    tauri::async_runtime::spawn(async move {
                        let checked = crate::updates::check(&app, feed).await;
                        tracing::info!(?checked, "update check");
                        if let Some(rt) = app.try_state::<Runtime>() {
                            rt.send(Event::UpdateChecked(checked));
                        }
                    });
                }
            }
            ids::KILL_SWITCH_TEST => self.command(Command::TestKillSwitch),
            ids::LOGIN => {
                let (on, result) = self.login.toggle();
                self.launch_at_login = on;
                result?;
            }
            ids::INSTALL_CLI => {
                tauri::async_runtime::spawn(async move {
                    let result = tauri::async_runtime::spawn_blocking(crate::cli_tool::install)
                        .await
                        .unwrap_or_else(|e| Err(e.to_string()));
                    let body = match result {
                        Ok(done) => done,
                        Err(e) => {
                            tracing::warn!(error = %e, "Install Command Line Tool failed");
                            e
                        }
                    };
                    notify(&app, "Torrent VPN: Command Line Tool", &body);
                });
            }
            ids::DIAGNOSTICS => {
                // The test hook's dir stands in for the Downloads folder.
                let dir = self
                    .hooks
                    .as_ref()
                    .map_or_else(tvpn_core::diagnostics::export_dir, |h| {
                        h.dir().to_path_buf()
                    });
                let paths = self.paths.clone();
                tauri::async_runtime::spawn(async move {
                    crate::notify::export_diagnostics(&app, &paths, &dir).await;
                });
            }
            ids::LOGS => {
                let dir = self.paths.log_dir().to_string_lossy().into_owned();
                app.opener()
                    .open_path(dir, None::<&str>)
                    .map_err(|e| e.to_string())?;
            }
            ids::QUIT => {
                // The stack keeps running: the kill switch protects without the app.
                tracing::info!("quit (the stack keeps running)");
                app.exit(0);
            }
            _ => {}
        }
        Ok(())
    }

    /// The action item does what the tray showed when it was clicked.
    fn on_action(&self) {
        let Some(shown) = self.shown.as_ref().filter(|m| m.action_enabled) else {
            return;
        };
        tracing::info!(action = ?shown.action, "action clicked");
        match shown.action {
            Action::Connect => self.command(Command::Connect),
            Action::Disconnect => self.command(Command::Disconnect),
            Action::Cancel => self.command(Command::Cancel),
            Action::SetUp | Action::FixSettings => {
                if let Err(e) = crate::show_settings(&self.app) {
                    tracing::warn!(error = %e, "cannot show settings");
                }
            }
            Action::Disconnecting => {}
        }
    }
}

/// The last "Verify Protection…" result, for the settings window.
#[tauri::command]
pub fn last_verify(rt: tauri::State<'_, Runtime>) -> Option<Report> {
    rt.view().last_verify
}

/// The gateway's latest warnings and errors, oldest first (the window's
/// "Gateway log").
#[tauri::command]
pub fn gateway_log(rt: tauri::State<'_, Runtime>) -> Vec<LogLine> {
    rt.view().gateway_log.into_iter().collect()
}
