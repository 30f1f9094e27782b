//! `tvpn watch`: the app's session, headless. It runs the monitor (which
//! also keeps the stack healed), follows settings changes and a connect in
//! another process, and prints one line per event and per snapshot change
//! (JSON with `--json`, each with a timestamp in ms) until interrupted.

use std::io::Write;
use std::process::ExitCode;

use tokio::sync::mpsc;
use tvpn_core::monitor::{HealEvent, State};
use tvpn_core::paths::AppPaths;
use tvpn_core::session::{self, SessionOptions, Update};

pub async fn run(paths: &AppPaths, json: bool) -> anyhow::Result<ExitCode> {
    let (_commands, command_rx) = mpsc::unbounded_channel();
    let (updates, mut update_rx) = mpsc::unbounded_channel();
    let session = tokio::spawn(session::run(
        paths.clone(),
        SessionOptions::default(),
        command_rx,
        updates,
    ));
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        tokio::select! {
            _ = &mut interrupted => break,
            update = update_rx.recv() => {
                let Some(update) = update else { break };
                print(&update, json);
            }
        }
    }
    session.abort();
    Ok(ExitCode::SUCCESS)
}

fn print(update: &Update, json: bool) {
    // A heartbeat's re-send of an unchanged snapshot is no news.
    if matches!(update, Update::Snapshot { refresh: true, .. }) {
        return;
    }
    if json {
        if let Ok(line) = serde_json::to_string(update) {
            println!("{line}");
        }
    } else if let Some(line) = describe(update) {
        println!("{line}");
    }
    let _ = std::io::stdout().flush();
}

fn describe(update: &Update) -> Option<String> {
    Some(match update {
        Update::Event(e) => format!("{}  {}", e.at_ms, e.message),
        Update::Snapshot {
            at_ms, snapshot, ..
        } => {
            let state = match &snapshot.state {
                State::Connecting(step) => format!("connecting: {}", step.label()),
                State::Error(reason) => format!("error: {reason}"),
                other => serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v.get("state").and_then(|s| s.as_str()).map(str::to_owned))
                    .unwrap_or_default(),
            };
            let ip = snapshot
                .vpn
                .as_ref()
                .map(|v| format!(" · {}", v.value.public_ip))
                .unwrap_or_default();
            format!("{at_ms}  state {state}{ip}")
        }
        Update::Heal(HealEvent::Reconciled { at_ms, outcome }) => format!(
            "{at_ms}  stack: {}",
            serde_json::to_string(outcome).unwrap_or_default()
        ),
        Update::Heal(HealEvent::Failed { at_ms, error }) => {
            format!("{at_ms}  heal failed: {error}")
        }
        Update::Unopened { error } => format!("not watching yet: {error}"),
        Update::Opened { profile, .. } => format!("watching profile {profile}"),
        Update::GatewayLog(line) => format!(
            "gateway {:?}: {}{}",
            line.level,
            line.component
                .as_deref()
                .map(|c| format!("[{c}] "))
                .unwrap_or_default(),
            line.message
        ),
        Update::BackedUp { path, removed, .. } => {
            format!("backed up to {} ({removed} older removed)", path.display())
        }
        Update::Failed { operation, error } => format!("{operation:?} failed: {error}"),
        _ => return None,
    })
}
