//! `tvpn connect`, `tvpn disconnect`, `tvpn reconcile`: the stack manager
//! from the command line. Progress goes to stderr (or JSON lines on stdout
//! with `--json`); the result goes to stdout.

use std::io::Write;
use std::process::ExitCode;

use tvpn_core::paths::AppPaths;
use tvpn_core::stack::{CancelToken, Progress, StackError, StackManager};

/// Test hook: abort the process right after connect step N is done, like a
/// crash, to prove that reconcile copes with every half state.
pub const ABORT_AFTER_STEP_ENV: &str = "TVPN_TEST_ABORT_AFTER_STEP";

/// Exit code when the Docker engine is not running (as `tvpn status`).
const EXIT_NO_DOCKER: u8 = 2;
/// Exit code of a connect cancelled (Ctrl-C, Disconnect or Cancel elsewhere).
const EXIT_CANCELLED: u8 = 3;

pub async fn open(paths: &AppPaths) -> Result<StackManager, ExitCode> {
    match StackManager::open(paths).await {
        Ok(m) => Ok(m),
        Err(e) => {
            eprintln!("tvpn: {e}");
            Err(exit_code(&e))
        }
    }
}

fn exit_code(e: &StackError) -> ExitCode {
    match e.root() {
        StackError::Docker(_) => ExitCode::from(EXIT_NO_DOCKER),
        _ => ExitCode::FAILURE,
    }
}

/// Prints progress as text lines on stderr, or JSON lines on stdout.
fn printer(json: bool) -> impl FnMut(Progress) + Send {
    let abort_after: Option<usize> = std::env::var(ABORT_AFTER_STEP_ENV)
        .ok()
        .and_then(|v| v.parse().ok());
    move |p: Progress| {
        if json {
            if let Ok(line) = serde_json::to_string(&p) {
                println!("{line}");
                let _ = std::io::stdout().flush();
            }
        } else {
            match &p {
                Progress::Step {
                    step,
                    number,
                    total,
                } => eprintln!("[{number}/{total}] {}…", step.label()),
                Progress::StepDone { .. } => {}
                Progress::Pull {
                    image,
                    status,
                    current,
                    total,
                } => match (current, total) {
                    (Some(c), Some(t)) if *t > 0 => eprintln!(
                        "      pulling {image}: {status} {:.1}/{:.1} MB",
                        *c as f64 / 1e6,
                        *t as f64 / 1e6
                    ),
                    _ => eprintln!("      pulling {image}: {status}"),
                },
                Progress::Note { message } => eprintln!("      {message}"),
            }
        }
        if let (Progress::StepDone { number, .. }, Some(n)) = (&p, abort_after) {
            if *number == n {
                eprintln!("tvpn: aborting after step {n} ({ABORT_AFTER_STEP_ENV})");
                std::process::abort();
            }
        }
    }
}

pub async fn connect(paths: &AppPaths, json: bool) -> anyhow::Result<ExitCode> {
    let manager = match open(paths).await {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let mut print = printer(json);
    // Ctrl-C cancels: what the connect started is removed before it ends.
    let cancel = CancelToken::new();
    let on_interrupt = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.cancel();
            }
        })
    };
    let result = manager.connect(&mut print, &cancel).await;
    on_interrupt.abort();
    match result {
        Ok(c) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "event": "connected", "result": c })
                );
            } else {
                let place = [c.city.as_deref(), c.country.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ");
                let place = if place.is_empty() {
                    String::new()
                } else {
                    format!(" ({place})")
                };
                println!("Connected: VPN IP {}{place}", c.public_ip);
                match c.forwarded_port {
                    Some(p) => println!("Forwarded port {p}, set as qBittorrent's listen port"),
                    None => println!("No forwarded port"),
                }
                println!("qBittorrent Web UI: {}", c.webui_url);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if matches!(e.root(), StackError::Cancelled) => {
            if json {
                println!("{}", serde_json::json!({ "event": "cancelled" }));
            }
            eprintln!("tvpn: connect cancelled; what it started was removed");
            Ok(ExitCode::from(EXIT_CANCELLED))
        }
        Err(e) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "event": "failed", "error": e.to_string() })
                );
            }
            eprintln!("tvpn: connect failed: {e}");
            Ok(exit_code(&e))
        }
    }
}

pub async fn disconnect(paths: &AppPaths) -> anyhow::Result<ExitCode> {
    let manager = match open(paths).await {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let mut print = printer(false);
    match manager.disconnect(&mut print).await {
        Ok(0) => {
            println!("Disconnected (nothing was running)");
            Ok(ExitCode::SUCCESS)
        }
        Ok(n) => {
            println!("Disconnected: removed {n} container(s); volumes and downloads are kept");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("tvpn: disconnect failed: {e}");
            Ok(exit_code(&e))
        }
    }
}

pub async fn reconcile(paths: &AppPaths, json: bool) -> anyhow::Result<ExitCode> {
    let manager = match open(paths).await {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    match manager.reconcile().await {
        Ok(outcome) => {
            if json {
                println!("{}", serde_json::to_string(&outcome)?);
            } else {
                println!("{}", serde_json::to_string_pretty(&outcome)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("tvpn: reconcile failed: {e}");
            Ok(exit_code(&e))
        }
    }
}

pub async fn verify(paths: &AppPaths, json: bool, kill_switch: bool) -> anyhow::Result<ExitCode> {
    let manager = match open(paths).await {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    if kill_switch && !json {
        eprintln!("the live kill-switch test stops the VPN for a few seconds…");
    }
    let report = tvpn_core::verify::report(&manager, kill_switch).await;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        for c in &report.checks {
            let mark = if c.ok { "ok  " } else { "FAIL" };
            println!("{mark} {}: {}", c.name, c.detail);
        }
        if let Some(ms) = report.kill_switch_downtime_ms {
            println!(
                "the live test kept the tunnel down for {:.1} s",
                ms as f64 / 1000.0
            );
        }
        println!("{}", report.summary);
    }
    Ok(if report.protected {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
