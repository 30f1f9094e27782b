//! `tvpn watch`: run the monitor (which also keeps the stack healed) and
//! print one line per event and per snapshot change (JSON with `--json`,
//! each with a timestamp in ms), until interrupted.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use tvpn_core::monitor::{self, MonitorOptions, MonitorOutput, State};
use tvpn_core::paths::AppPaths;
use tvpn_core::stack::HealEvent;

pub async fn run(paths: &AppPaths, json: bool) -> anyhow::Result<ExitCode> {
    let manager = match crate::stack::open(paths).await {
        Ok(m) => Arc::new(m),
        Err(code) => return Ok(code),
    };
    let mut print = |output: MonitorOutput| {
        if json {
            if let Ok(line) = serde_json::to_string(&output) {
                println!("{line}");
            }
        } else if let Some(line) = describe(&output) {
            println!("{line}");
        }
        let _ = std::io::stdout().flush();
    };
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    monitor::run(manager, MonitorOptions::default(), &mut print, shutdown).await;
    Ok(ExitCode::SUCCESS)
}

fn describe(output: &MonitorOutput) -> Option<String> {
    Some(match output {
        MonitorOutput::Event(e) => format!("{}  {}", e.at_ms, e.message),
        MonitorOutput::Snapshot { at_ms, snapshot } => {
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
        MonitorOutput::Heal(HealEvent::Reconciled { at_ms, outcome }) => format!(
            "{at_ms}  stack: {}",
            serde_json::to_string(outcome).unwrap_or_default()
        ),
        MonitorOutput::Heal(HealEvent::Failed { at_ms, error }) => {
            format!("{at_ms}  heal failed: {error}")
        }
        MonitorOutput::Heal(_) => return None,
    })
}
