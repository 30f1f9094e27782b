//! The monitor's state machine: signals in, snapshot changes, events and
//! actions out. Pure (time comes in with each signal), so every transition is
//! unit-tested. Like Mullvad's tunnel state machine it fails closed: any
//! doubt about the tunnel is "not protected" until proven otherwise.

use std::collections::HashMap;

use serde::Serialize;

use super::snapshot::{Snapshot, State, Timed, Transfer, VpnInfo};

/// How often the liveness probe's steady ping goes through the tunnel (its
/// beat), unless the monitor is told otherwise. Each probe costs a wake-up of
/// the tunnel in the gateway (in userspace WireGuard about 2 ms of CPU), so
/// the beat is as slow as the detection goal allows: a drop is noticed
/// within a beat, a reply timeout and a burst.
pub const BEAT_MS: u64 = 650;
/// The least time a reply may be late before it is missed: the timeout
/// grows with the jitter the beat shows (`4 × jitter` on top), up to
/// [`LATE_MAX_MS`].
pub const LATE_MIN_MS: u64 = 20;
/// The most a reply may be late before it is missed, however jittery.
pub const LATE_MAX_MS: u64 = 400;
/// The least time the machine waits for the burst's replies: a tunnel
/// whose delay jumps (by up to 200 ms from one beat to the next, the soak's
/// jitter) is slow, not down.
pub const CONFIRM_MIN_MS: u64 = 170;
/// A missed beat sends a burst of quick probes (`BURST_PROBES`,
/// [`BURST_GAP_MS`] apart): a lost reply or a late one is answered by the
/// burst, a dead tunnel answers none.
pub const BURST_PROBES: u64 = 4;
pub const BURST_GAP_MS: u64 = 10;
/// From the first probe of a burst to its last.
pub const BURST_SPAN_MS: u64 = (BURST_PROBES - 1) * BURST_GAP_MS;
/// A notification of one kind is shown at most once per this window; the
/// event itself is always emitted.
pub const NOTIFY_THROTTLE_MS: u64 = 60_000;
/// While the tunnel is down, the block is verified again this often.
pub const REVERIFY_MS: u64 = 1_000;

/// What the stack looks like to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// No gateway container (or none running, and no service either).
    Disconnected,
    /// The gateway runs.
    Running,
    /// The gateway exists but does not run (stopped, restarting).
    GatewayDown,
    /// The gateway is paused (a sleeping machine).
    Paused,
}

/// The result of probing from the protected namespace to the outside, not
/// through the tunnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "detail", rename_all = "snake_case")]
pub enum BlockProbe {
    /// The firewall refused to send: nothing can leave outside the tunnel.
    Blocked,
    /// Traffic left outside the tunnel.
    Leaked(String),
    /// The probe could not run (the gateway is paused or gone).
    Inconclusive(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Signal {
    EngineUp,
    EngineDown(String),
    Presence(Presence),
    /// The gateway container started again (restart or recreate).
    GatewayStarted,
    /// What the control server says: the VPN loop's status and public IP.
    Control {
        running: bool,
        vpn: Option<VpnInfo>,
    },
    /// The control server did not answer.
    ControlUnreachable(String),
    /// A reply came back through the tunnel.
    Alive,
    /// A reply to the steady ping: also a sign of life, and its round trip
    /// (µs, when the line said) measures the tunnel's jitter.
    Beat(Option<u32>),
    /// The liveness probe (re)started; silence counts from here.
    ProbeStarted,
    /// The probe's steady ping started again (at its deadline, or after it
    /// failed): its next gap is no stray, and silence still counts from the
    /// last reply.
    BeatRestarted,
    /// The gateway has no way to probe (no `ping`): the control server alone
    /// decides.
    ProbeUnavailable(String),
    Block(BlockProbe),
    ForwardedPort(Option<u16>),
    /// The forwarded port was written into qBittorrent and read back.
    PortSynced(u16),
    Transfer {
        transfer: Transfer,
        connection: String,
        /// What libtorrent saw as its external address (qBittorrent 5.1+).
        external_ip: Option<String>,
    },
    /// A connect is running (`Some(step)`) or has ended (`None`).
    Connecting(Option<super::ConnectStep>),
    ConnectFailed(String),
    /// Time passes (silence is only noticed on a tick).
    Tick,
}

/// Events, each with a sentence for a notification.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    KillSwitchEngaged,
    Recovered,
    LeakDetected,
    GatewayRestarted,
    Healed,
    PortChanged,
    DockerStopped,
    DockerBack,
    ConnectFailed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub kind: EventKind,
    pub at_ms: u64,
    pub message: String,
    /// False when an alert of this kind was shown recently (throttled) or the
    /// state already said so (de-duplicated).
    pub notify: bool,
}

/// Work the driver does for the machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Action {
    /// Probe outside the tunnel and report a [`Signal::Block`].
    VerifyBlock,
    /// Send a burst of quick probes through the tunnel: a beat was missed.
    Burst,
    /// Set qBittorrent's listen port to the forwarded one.
    SyncPort(Option<u16>),
    /// The VPN restarted inside the gateway (a new tunnel interface):
    /// re-bind qBittorrent to it and apply the port again (gluetun #1407).
    Rebind(Option<u16>),
}

#[derive(Debug, Default)]
pub struct Output {
    /// The new snapshot, when anything in it changed.
    pub snapshot: Option<Snapshot>,
    pub events: Vec<Event>,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tunnel {
    Unknown,
    Up,
    Down,
}

pub struct Machine {
    snapshot: Snapshot,
    engine_up: Option<bool>,
    presence: Option<Presence>,
    connecting: Option<super::ConnectStep>,
    control_running: bool,
    vpn: Option<VpnInfo>,
    probe_started_ms: Option<u64>,
    probe_unavailable: bool,
    last_alive_ms: Option<u64>,
    /// The steady ping's beat, and when its last reply came with what
    /// round trip (ms).
    beat_ms: u64,
    last_beat: Option<(u64, Option<f64>)>,
    /// How far beats stray from each other (ms, a moving average).
    jitter_ms: f64,
    /// The beat as it comes (ms, a moving average): a ping's interval is
    /// not exactly what it was asked for (iputils sends every `-i` plus a
    /// few ms).
    period_ms: f64,
    /// The silence (by when it began) a burst was sent for.
    burst_for: Option<u64>,
    /// Beats before this moment teach nothing about jitter: the first
    /// replies after an outage carry the time the tunnel took to return.
    learn_from_ms: u64,
    tunnel: Tunnel,
    /// The control server said "not running" (or went away) during the
    /// current outage: the VPN restarted, the interface is new.
    vpn_restarted: bool,
    block: Option<BlockProbe>,
    verify_pending: bool,
    last_verify_ms: u64,
    port: Option<u16>,
    synced_port: Option<u16>,
    external_ip: Option<String>,
    /// A gateway restart was reported and not yet healed.
    restarting: bool,
    /// Protection was lost (not by the user's disconnect) and not regained.
    lost: bool,
    last_notified: HashMap<EventKind, u64>,
    errored: Option<String>,
}

impl Machine {
    pub fn new(now_ms: u64) -> Self {
        Self::with_beat(now_ms, BEAT_MS)
    }

    /// A machine whose probe pings every `beat_ms`.
    pub fn with_beat(now_ms: u64, beat_ms: u64) -> Self {
        Self {
            snapshot: Snapshot::new(State::Disconnected, now_ms),
            engine_up: None,
            presence: None,
            connecting: None,
            control_running: false,
            vpn: None,
            probe_started_ms: None,
            probe_unavailable: false,
            last_alive_ms: None,
            beat_ms: beat_ms.max(1),
            last_beat: None,
            jitter_ms: 0.0,
            period_ms: beat_ms.max(1) as f64,
            burst_for: None,
            learn_from_ms: 0,
            tunnel: Tunnel::Unknown,
            vpn_restarted: false,
            block: None,
            verify_pending: false,
            last_verify_ms: 0,
            port: None,
            synced_port: None,
            external_ip: None,
            restarting: false,
            lost: false,
            last_notified: HashMap::new(),
            errored: None,
        }
    }

    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Feed one signal observed at `now`.
    pub fn on(&mut self, signal: Signal, now: u64) -> Output {
        let mut out = Output::default();
        let before = self.snapshot.clone();
        let previous_state = self.snapshot.state.clone();
        match signal {
            Signal::EngineUp => {
                if self.engine_up == Some(false) {
                    self.event(
                        &mut out,
                        EventKind::DockerBack,
                        now,
                        "Docker is running again",
                    );
                }
                self.engine_up = Some(true);
            }
            Signal::EngineDown(error) => {
                if self.engine_up != Some(false) {
                    self.event(
                        &mut out,
                        EventKind::DockerStopped,
                        now,
                        format!(
                            "Docker stopped: the stack can't be watched until it is back ({error})"
                        ),
                    );
                }
                self.engine_up = Some(false);
                // Nothing is known about the tunnel until fresh signals come.
                self.reset_tunnel();
            }
            Signal::Presence(p) => {
                if p != Presence::Running {
                    self.reset_tunnel();
                }
                self.presence = Some(p);
            }
            Signal::GatewayStarted => {
                if matches!(
                    previous_state,
                    State::Protected | State::KillSwitchEngaged | State::Leak | State::Healing
                ) && !self.restarting
                {
                    self.restarting = true;
                    self.event(
                        &mut out,
                        EventKind::GatewayRestarted,
                        now,
                        "The VPN gateway restarted: reconnecting qBittorrent to it",
                    );
                }
                self.reset_tunnel();
            }
            Signal::Control { running, vpn } => {
                self.control_running = running && vpn.is_some();
                if let Some(v) = vpn {
                    self.snapshot.vpn = Some(Timed {
                        value: v.clone(),
                        at_ms: now,
                    });
                    self.vpn = Some(v);
                }
            }
            Signal::ControlUnreachable(_) => self.control_running = false,
            Signal::Alive => self.last_alive_ms = Some(now),
            Signal::Beat(rtt_us) => {
                let rtt = rtt_us.map(|us| f64::from(us) / 1000.0);
                if let Some(last) = self.last_beat.filter(|_| now >= self.learn_from_ms) {
                    self.learn_jitter(last, (now, rtt));
                }
                self.last_beat = Some((now, rtt));
                self.last_alive_ms = Some(now);
            }
            Signal::BeatRestarted => self.last_beat = None,
            Signal::ProbeStarted => {
                self.last_beat = None;
                self.probe_started_ms = Some(now);
                self.probe_unavailable = false;
            }
            Signal::ProbeUnavailable(_) => self.probe_unavailable = true,
            Signal::Block(result) => {
                self.verify_pending = false;
                self.last_verify_ms = now;
                self.block = Some(result);
            }
            Signal::ForwardedPort(port) => {
                if port != self.port {
                    if let Some(p) = port {
                        self.event(
                            &mut out,
                            EventKind::PortChanged,
                            now,
                            format!("The VPN now forwards port {p}"),
                        );
                    }
                    self.port = port;
                    if port.is_some() {
                        out.actions.push(Action::SyncPort(port));
                    }
                }
                self.snapshot.forwarded_port = port.map(|value| Timed { value, at_ms: now });
            }
            Signal::PortSynced(p) => self.synced_port = Some(p),
            Signal::Transfer {
                transfer,
                connection,
                external_ip,
            } => {
                self.snapshot.transfer = Some(Timed {
                    value: transfer,
                    at_ms: now,
                });
                self.snapshot.qbittorrent = Some(Timed {
                    value: connection,
                    at_ms: now,
                });
                self.external_ip = external_ip.filter(|ip| !ip.is_empty());
            }
            Signal::Connecting(step) => {
                self.connecting = step;
                if step.is_some() {
                    self.errored = None;
                }
            }
            Signal::ConnectFailed(reason) => {
                self.connecting = None;
                self.event(
                    &mut out,
                    EventKind::ConnectFailed,
                    now,
                    format!("Connect failed: {reason}"),
                );
                self.errored = Some(reason);
            }
            Signal::Tick => {}
        }
        self.update_tunnel(now, &mut out);
        if self.tunnel == Tunnel::Up {
            self.errored = None;
        }
        let state = self.derive_state();
        self.transition(previous_state, state, now, &mut out);
        self.snapshot.at_ms = now;
        // A refresh that changes no value is not a change.
        if self.snapshot.without_times() != before.without_times() {
            out.snapshot = Some(self.snapshot.clone());
        }
        out
    }

    fn reset_tunnel(&mut self) {
        self.tunnel = Tunnel::Unknown;
        self.control_running = false;
        self.last_alive_ms = None;
        self.last_beat = None;
        self.burst_for = None;
        self.probe_started_ms = None;
        self.probe_unavailable = false;
        self.block = None;
        self.verify_pending = false;
        self.synced_port = None;
    }

    /// Up: the control server says running with an IP, and the probe heard
    /// back within the silence window. Down: either says otherwise.
    fn update_tunnel(&mut self, now: u64, out: &mut Output) {
        if self.presence != Some(Presence::Running) {
            return;
        }
        // Silence counts from the last reply, or from the probe's (re)start
        // if that came later.
        let silence = self.silence_ms();
        let probe_heard = self
            .heard_ms()
            .is_some_and(|heard| now.saturating_sub(heard) <= silence);
        let fresh_alive = self.probe_unavailable
            || self
                .last_alive_ms
                .is_some_and(|alive| now.saturating_sub(alive) <= silence);
        let probe_heard = probe_heard || self.probe_unavailable;
        let next = if self.control_running && fresh_alive {
            Tunnel::Up
        } else if (self.tunnel == Tunnel::Up || self.tunnel == Tunnel::Down)
            && (!self.control_running || !probe_heard)
        {
            Tunnel::Down
        } else if self.tunnel == Tunnel::Unknown && self.control_running && !probe_heard {
            // Never heard back through the tunnel since the probe started.
            if self.probe_started_ms.is_some() {
                Tunnel::Down
            } else {
                Tunnel::Unknown
            }
        } else {
            self.tunnel
        };
        if next == Tunnel::Down && self.tunnel != Tunnel::Down {
            // A verdict probed during this silence stands (a probe still on
            // its way gives one soon); an older one does not.
            if !self.verdict_since_reply() {
                self.block = None;
            }
            self.vpn_restarted = false;
            // No gap across the outage is a stray.
            self.last_beat = None;
        }
        if next == Tunnel::Down && !self.control_running {
            self.vpn_restarted = true;
        }
        if next == Tunnel::Up && self.tunnel != Tunnel::Up {
            self.block = None;
            self.learn_from_ms = now + 2 * self.beat_ms;
            // A restarted VPN has a new interface: qBittorrent must re-bind
            // (gluetun #1407). A silent outage keeps the interface, and its
            // connections survive it untouched.
            if self.tunnel == Tunnel::Down && self.vpn_restarted {
                out.actions.push(Action::Rebind(self.port));
            }
            self.vpn_restarted = false;
        }
        self.tunnel = next;
        // Down, or still coming up while a connect runs: traffic must be
        // blocked, and that is checked.
        let unprotected = self.tunnel == Tunnel::Down
            || (self.tunnel == Tunnel::Unknown && self.connecting.is_some());
        // Up, but a beat is missing.
        let suspicious = self.tunnel == Tunnel::Up
            && !self.probe_unavailable
            && self
                .heard_ms()
                .is_some_and(|heard| now.saturating_sub(heard) > self.suspect_ms());
        let wanted = if unprotected {
            self.block.is_none() || now.saturating_sub(self.last_verify_ms) >= REVERIFY_MS
        } else {
            suspicious && !self.verdict_since_reply()
        };
        if wanted && !self.verify_pending {
            self.verify_pending = true;
            out.actions.push(Action::VerifyBlock);
            // Down: look for the way back too, whatever the steady ping
            // is bound to.
            if unprotected && self.tunnel == Tunnel::Down && !self.probe_unavailable {
                out.actions.push(Action::Burst);
            }
        }
        // One burst per missed beat.
        let heard = self.heard_ms();
        if suspicious && self.burst_for != heard {
            self.burst_for = heard;
            out.actions.push(Action::Burst);
        }
    }

    /// Learn how far two beats stray from each other: by their round trips
    /// (measured in the gateway, so the engine's delivery does not count),
    /// else by their gap against the period. Quick to grow (a jittery tunnel
    /// gets its margin at once), slow to shrink.
    fn learn_jitter(&mut self, last: (u64, Option<f64>), this: (u64, Option<f64>)) {
        let gap = this.0.saturating_sub(last.0) as f64;
        let beats = (gap / self.period_ms).round().max(1.0);
        if beats == 1.0 {
            // Never quicker than asked, nor a fifth slower.
            let asked = self.beat_ms as f64;
            self.period_ms =
                (self.period_ms + (gap - self.period_ms) / 8.0).clamp(asked, asked * 1.2);
        }
        let stray = match (last.1, this.1) {
            (Some(a), Some(b)) => (b - a).abs(),
            _ => (gap - beats * self.period_ms).abs(),
        };
        let gain = if stray > self.jitter_ms {
            0.5
        } else {
            1.0 / 16.0
        };
        self.jitter_ms += (stray - self.jitter_ms) * gain;
    }

    /// How late a reply may be before it is missed.
    pub fn late_ms(&self) -> u64 {
        (LATE_MIN_MS + (4.0 * self.jitter_ms) as u64).min(LATE_MAX_MS)
    }

    /// Silence this long misses a beat: suspicious, a burst goes out and the
    /// block is probed ahead.
    pub fn suspect_ms(&self) -> u64 {
        self.period_ms.round() as u64 + self.late_ms()
    }

    /// Silence this long, the burst unanswered too, is a drop.
    pub fn silence_ms(&self) -> u64 {
        self.suspect_ms() + BURST_SPAN_MS + self.late_ms().max(CONFIRM_MIN_MS)
    }

    /// The last reply, or the probe's (re)start if that came later.
    fn heard_ms(&self) -> Option<u64> {
        self.last_alive_ms.max(self.probe_started_ms)
    }

    /// A block verdict came after the probe's last reply.
    fn verdict_since_reply(&self) -> bool {
        self.block.is_some()
            && self
                .last_alive_ms
                .is_none_or(|alive| self.last_verify_ms > alive)
    }

    /// The next moment at which time alone can change something (a silence
    /// turning suspicious or into a drop, a block to verify again), so that
    /// the driver wakes the machine then rather than polling it.
    pub fn next_deadline(&self) -> Option<u64> {
        if self.presence != Some(Presence::Running) || self.engine_up == Some(false) {
            return None;
        }
        let now = self.snapshot.at_ms;
        let heard = self.heard_ms();
        let (suspect, drop) = (self.suspect_ms(), self.silence_ms());
        let silence = heard
            .into_iter()
            .flat_map(|h| [h + suspect + 1, h + drop + 1]);
        let unprotected = self.tunnel == Tunnel::Down
            || (self.tunnel == Tunnel::Unknown && self.connecting.is_some());
        let reverify =
            (unprotected && self.block.is_some()).then_some(self.last_verify_ms + REVERIFY_MS);
        silence.chain(reverify).filter(|at| *at > now).min()
    }

    fn derive_state(&self) -> State {
        if self.engine_up == Some(false) {
            return State::DockerUnavailable;
        }
        // A leak shows whatever else goes on, a connect included.
        if self.presence == Some(Presence::Running) {
            let leaked_ip = match (&self.external_ip, &self.vpn) {
                (Some(seen), Some(vpn)) => seen != &vpn.public_ip,
                _ => false,
            };
            let leaked_probe =
                self.tunnel != Tunnel::Up && matches!(self.block, Some(BlockProbe::Leaked(_)));
            if leaked_ip || leaked_probe {
                return State::Leak;
            }
        }
        if let Some(step) = self.connecting {
            return State::Connecting(step);
        }
        if let Some(reason) = &self.errored {
            return State::Error(reason.clone());
        }
        match self.presence {
            None => State::Disconnected,
            Some(Presence::Disconnected) => State::Disconnected,
            Some(Presence::GatewayDown | Presence::Paused) => State::Healing,
            Some(Presence::Running) => {
                match (self.tunnel, &self.block) {
                    (Tunnel::Up, _) => State::Protected,
                    (Tunnel::Down, Some(_)) => State::KillSwitchEngaged,
                    // Down, not verified yet; or not known yet.
                    (Tunnel::Down, None) | (Tunnel::Unknown, _) => {
                        State::Connecting(super::ConnectStep::WaitingForTunnel)
                    }
                }
            }
        }
    }

    fn transition(&mut self, from: State, to: State, now: u64, out: &mut Output) {
        if from == to {
            return;
        }
        if from == State::Protected {
            self.lost = true;
        }
        if matches!(to, State::Disconnected | State::Connecting(_) if self.presence != Some(Presence::Running))
        {
            // The user disconnected or is connecting: nothing to recover.
            self.lost = false;
            self.restarting = false;
        }
        match &to {
            State::Protected => {
                if self.restarting {
                    self.restarting = false;
                    self.event(
                        out,
                        EventKind::Healed,
                        now,
                        "The VPN gateway is back: protected again",
                    );
                } else if self.lost {
                    self.event(
                        out,
                        EventKind::Recovered,
                        now,
                        "VPN back: torrents resume through the tunnel",
                    );
                }
                self.lost = false;
            }
            State::KillSwitchEngaged => {
                let message = match &self.block {
                    Some(BlockProbe::Inconclusive(why)) => format!(
                        "VPN dropped: torrents are held by the kill switch (the block could not be checked: {why})"
                    ),
                    _ => "VPN dropped: torrents are blocked, nothing leaked (block verified)".to_owned(),
                };
                if from != State::Leak {
                    self.event(out, EventKind::KillSwitchEngaged, now, message);
                }
            }
            State::Leak => {
                let why = match &self.block {
                    Some(BlockProbe::Leaked(why)) => why.clone(),
                    _ => format!(
                        "qBittorrent's external address {} is not the VPN's",
                        self.external_ip.clone().unwrap_or_default()
                    ),
                };
                self.event(
                    out,
                    EventKind::LeakDetected,
                    now,
                    format!("LEAK: traffic leaves outside the VPN ({why}). Disconnect now."),
                );
            }
            _ => {}
        }
        self.snapshot.state = to;
    }

    fn event(&mut self, out: &mut Output, kind: EventKind, now: u64, message: impl Into<String>) {
        // Leaks always alert; other kinds at most once per window.
        let notify = kind == EventKind::LeakDetected
            || self
                .last_notified
                .get(&kind)
                .is_none_or(|last| now.saturating_sub(*last) >= NOTIFY_THROTTLE_MS);
        if notify {
            self.last_notified.insert(kind.clone(), now);
        }
        out.events.push(Event {
            kind,
            at_ms: now,
            message: message.into(),
            notify,
        });
    }
}

#[cfg(test)]
mod tests;
