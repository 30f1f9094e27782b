//! Heal: keep the protected services following the gateway while nobody
//! watches (gluetun #641 and #1407).
//!
//! Signals: the engine's container events for the profile (a gateway
//! restarted, recreated, stopped). Each event makes the healer [`reconcile`](StackManager::reconcile): a service
//! left in a dead namespace is restarted, one pinned to a removed gateway is
//! recreated, and nothing starts before the tunnel is up. When the VPN
//! restarts inside the gateway, the monitor re-binds qBittorrent (its port
//! sync).

use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::Serialize;

use super::manager::{Reconciled, StackManager};
use crate::monitor::now_ms;

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

/// Container events that can change what the stack needs.
const EVENTS: &[&str] = &["create", "start", "restart", "die", "stop", "destroy"];

/// How long to wait after an event for the ones that follow it (a restart
/// is `die` then `start`).
const SETTLE: Duration = Duration::from_millis(100);

pub struct Healer<'a> {
    manager: &'a StackManager,
    tick: Duration,
}

impl<'a> Healer<'a> {
    pub fn new(manager: &'a StackManager) -> Self {
        Self {
            manager,
            tick: Duration::from_millis(250),
        }
    }

    /// Run until `shutdown` completes. Engine outages are reported and
    /// survived: the event stream is opened again when the engine returns.
    pub async fn run(
        &self,
        report: &mut (dyn FnMut(HealEvent) + Send),
        shutdown: impl Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        let mut engine_lost = false;
        loop {
            if engine_lost {
                // Events can only flow once the engine answers again.
                if let Err(e) = self.manager.docker().ping().await {
                    tracing::debug!(error = %e, "the engine is still away");
                    tokio::select! {
                        () = &mut shutdown => return,
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                    continue;
                }
                report(HealEvent::EngineBack { at_ms: now_ms() });
            }
            let mut events = super::engine::profile_events(
                self.manager.docker(),
                &self.manager.settings().profile,
                EVENTS,
            );
            let mut state = LoopState {
                dirty: true,
                ..LoopState::default()
            };
            let mut ticker = tokio::time::interval(self.tick);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let lost = loop {
                tokio::select! {
                    () = &mut shutdown => return,
                    event = events.next() => match event {
                        Some(Ok(_)) => {
                            state.dirty = true;
                            state.settle_until = Some(Instant::now() + SETTLE);
                        }
                        Some(Err(e)) => break e.to_string(),
                        None => break "the engine closed the event stream".to_owned(),
                    },
                    _ = ticker.tick() => self.on_tick(&mut state, report).await,
                }
            };
            engine_lost = true;
            report(HealEvent::EngineLost {
                at_ms: now_ms(),
                error: lost,
            });
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    async fn on_tick(&self, state: &mut LoopState, report: &mut (dyn FnMut(HealEvent) + Send)) {
        if state.settle_until.is_some_and(|t| Instant::now() < t) {
            return;
        }
        state.settle_until = None;
        if state.dirty || state.waiting_for_tunnel {
            state.dirty = false;
            match self.manager.reconcile().await {
                Ok(outcome) => {
                    let waiting = matches!(outcome.settled(), Reconciled::TunnelDown { .. });
                    state.waiting_for_tunnel = waiting;
                    if state.last.as_ref() != Some(&outcome) {
                        state.last = Some(outcome.clone());
                        report(HealEvent::Reconciled {
                            at_ms: now_ms(),
                            outcome,
                        });
                    }
                }
                Err(e) => {
                    state.waiting_for_tunnel = true;
                    let error = e.to_string();
                    if state.last_error.as_ref() != Some(&error) {
                        state.last_error = Some(error.clone());
                        report(HealEvent::Failed {
                            at_ms: now_ms(),
                            error,
                        });
                    }
                }
            }
        }
    }
}

#[derive(Default)]
struct LoopState {
    dirty: bool,
    settle_until: Option<Instant>,
    waiting_for_tunnel: bool,
    last: Option<Reconciled>,
    last_error: Option<String>,
}

impl Reconciled {
    /// The state arrived at, whatever was repaired on the way.
    pub fn settled(&self) -> &Reconciled {
        match self {
            Reconciled::Repaired { now, .. } => now.settled(),
            other => other,
        }
    }
}
