//! `tvpn watch`: keep the stack healed and print what happens, one line per
//! event (JSON with `--json`), until interrupted.

use std::io::Write;
use std::process::ExitCode;

use tvpn_core::paths::AppPaths;
use tvpn_core::stack::{HealEvent, Healer};

pub async fn run(paths: &AppPaths, json: bool) -> anyhow::Result<ExitCode> {
    let manager = match crate::stack::open(paths).await {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let healer = Healer::new(&manager);
    let mut print = |event: HealEvent| {
        if json {
            if let Ok(line) = serde_json::to_string(&event) {
                println!("{line}");
            }
        } else {
            println!("{}", describe(&event));
        }
        let _ = std::io::stdout().flush();
    };
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    healer.run(&mut print, shutdown).await;
    Ok(ExitCode::SUCCESS)
}

fn describe(event: &HealEvent) -> String {
    match event {
        HealEvent::Reconciled { outcome, .. } => format!(
            "stack: {}",
            serde_json::to_string(outcome).unwrap_or_default()
        ),
        HealEvent::Rebound { listen_port, .. } => match listen_port {
            Some(p) => format!("VPN restarted: qBittorrent re-bound to the tunnel, port {p}"),
            None => "VPN restarted: qBittorrent re-bound to the tunnel".to_owned(),
        },
        HealEvent::EngineLost { error, .. } => format!("Docker stopped: {error}"),
        HealEvent::EngineBack { .. } => "Docker is back".to_owned(),
        HealEvent::Failed { error, .. } => format!("heal failed: {error}"),
    }
}
