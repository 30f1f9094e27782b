//! Heal: keep the protected services following the gateway while nobody
//! watches (gluetun #641 and #1407), as one of the monitor's tasks.
//!
//! The monitor's one subscription to the engine's container events pokes
//! this task; each poke (after the events that follow it settle) makes it
//! [`reconcile`](StackManager::reconcile): a service left in a dead
//! namespace is restarted, one pinned to a removed gateway is recreated,
//! nothing starts before the tunnel is up, and nothing at all when the
//! target is disconnected. When the VPN restarts inside the gateway, the
//! monitor re-binds qBittorrent (its port sync).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::progress::now_ms;
use crate::stack::{Reconciled, StackManager};

/// What the healer saw and did, one line of `tvpn watch --json` each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum HealEvent {
    /// A reconcile changed something, or found a new state.
    Reconciled { at_ms: u64, outcome: Reconciled },
    /// The engine's event stream broke (Docker stopped).
    EngineLost { at_ms: u64, error: String },
    /// Events flow again.
    EngineBack { at_ms: u64 },
    /// A heal attempt failed; it is tried again on the next signal.
    Failed { at_ms: u64, error: String },
}

/// What the engine-event task tells the healer.
#[derive(Debug)]
pub(super) enum HealPoke {
    /// A container of the profile changed (or the subscription began).
    Changed,
    Lost(String),
    Back,
}

/// How long to wait after an event for the ones that follow it (a restart
/// is `die` then `start`).
const SETTLE: Duration = Duration::from_millis(100);
/// How often to try again while the tunnel is down or a heal failed.
const RETRY: Duration = Duration::from_millis(250);
/// How often to look again at a gateway created moments ago and not
/// started yet: its start is an engine event (a poke) anyway, so this only
/// finds the one nobody starts, once its grace has passed.
const RETRY_STARTING: Duration = Duration::from_secs(5);

/// Reconcile after each poke, and again every [`RETRY`] while the tunnel is
/// down or the last attempt failed ([`RETRY_STARTING`] while a fresh
/// gateway waits for its start). Ends when the pokes end.
pub(super) async fn heal(
    manager: Arc<StackManager>,
    mut pokes: mpsc::UnboundedReceiver<HealPoke>,
    report: mpsc::UnboundedSender<HealEvent>,
) {
    let mut state = LoopState::default();
    loop {
        let due = match (state.settle_until, state.retry) {
            (Some(t), _) => Some(t),
            (None, Some(after)) => Some(Instant::now() + after),
            (None, None) => None,
        };
        let wake = async {
            match due {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            poke = pokes.recv() => match poke {
                None => return,
                Some(HealPoke::Changed) => state.settle_until = Some(Instant::now() + SETTLE),
                Some(HealPoke::Lost(error)) => {
                    state.engine_lost = true;
                    state.settle_until = None;
                    state.retry = None;
                    let _ = report.send(HealEvent::EngineLost { at_ms: now_ms(), error });
                }
                Some(HealPoke::Back) => {
                    if std::mem::take(&mut state.engine_lost) {
                        let _ = report.send(HealEvent::EngineBack { at_ms: now_ms() });
                    }
                    state.settle_until = Some(Instant::now() + SETTLE);
                }
            },
            () = wake => {
                state.settle_until = None;
                if !state.engine_lost {
                    reconcile(&manager, &mut state, &report).await;
                }
            }
        }
    }
}

async fn reconcile(
    manager: &StackManager,
    state: &mut LoopState,
    report: &mpsc::UnboundedSender<HealEvent>,
) {
    match manager.heal_reconcile().await {
        Ok(outcome) => {
            state.retry = match outcome.settled() {
                Reconciled::TunnelDown { .. } => Some(RETRY),
                Reconciled::Starting => Some(RETRY_STARTING),
                _ => None,
            };
            state.last_error = None;
            if state.last.as_ref() != Some(&outcome) {
                state.last = Some(outcome.clone());
                let _ = report.send(HealEvent::Reconciled {
                    at_ms: now_ms(),
                    outcome,
                });
            }
        }
        Err(e) => {
            state.retry = Some(RETRY);
            let error = e.to_string();
            if state.last_error.as_ref() != Some(&error) {
                state.last_error = Some(error.clone());
                let _ = report.send(HealEvent::Failed {
                    at_ms: now_ms(),
                    error,
                });
            }
        }
    }
}

#[derive(Default)]
struct LoopState {
    settle_until: Option<Instant>,
    /// Reconcile again after this long (unless a poke comes first).
    retry: Option<Duration>,
    engine_lost: bool,
    last: Option<Reconciled>,
    last_error: Option<String>,
}
