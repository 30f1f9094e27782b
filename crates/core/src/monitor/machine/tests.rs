use super::*;
use crate::monitor::ConnectStep;

fn vpn() -> Option<VpnInfo> {
    Some(VpnInfo {
        public_ip: "10.222.0.3".to_owned(),
        country: Some("Labland".to_owned()),
        city: None,
    })
}

fn control_up() -> Signal {
    Signal::Control {
        running: true,
        vpn: vpn(),
    }
}

/// Feed `(ms, signal)` pairs; collect (state after each, events, actions).
struct Run {
    m: Machine,
    events: Vec<Event>,
    actions: Vec<Action>,
}

impl Run {
    fn new() -> Self {
        Self {
            m: Machine::new(0),
            events: Vec::new(),
            actions: Vec::new(),
        }
    }

    fn at(&mut self, ms: u64, signal: Signal) -> &State {
        let out = self.m.on(signal, ms);
        self.events.extend(out.events);
        self.actions.extend(out.actions);
        &self.m.snapshot().state
    }

    fn kinds(&self) -> Vec<EventKind> {
        self.events.iter().map(|e| e.kind.clone()).collect()
    }

    /// Engine up, gateway running, control up, probe replying: protected.
    fn protected() -> Self {
        let mut r = Self::new();
        r.at(0, Signal::EngineUp);
        r.at(0, Signal::Presence(Presence::Running));
        r.at(0, Signal::ProbeStarted);
        r.at(10, control_up());
        assert_eq!(r.at(20, Signal::Beat(Some(1_000))), &State::Protected);
        r
    }
}

#[test]
fn up_only_with_control_and_probe() {
    let mut r = Run::new();
    r.at(0, Signal::EngineUp);
    assert_eq!(
        r.at(0, Signal::Presence(Presence::Running)),
        &State::Connecting(ConnectStep::WaitingForTunnel)
    );
    r.at(0, Signal::ProbeStarted);
    // The control server alone is not enough while the probe is silent.
    assert_eq!(
        r.at(10, control_up()),
        &State::Connecting(ConnectStep::WaitingForTunnel)
    );
    assert_eq!(r.at(20, Signal::Alive), &State::Protected);
    assert!(
        r.events.is_empty(),
        "first protection is no recovery: {:?}",
        r.events
    );
}

#[test]
fn without_a_probe_the_control_server_decides() {
    let mut r = Run::new();
    r.at(0, Signal::EngineUp);
    r.at(0, Signal::Presence(Presence::Running));
    r.at(0, Signal::ProbeUnavailable("no ping".to_owned()));
    assert_eq!(r.at(10, control_up()), &State::Protected);
    assert_eq!(
        r.at(
            20,
            Signal::Control {
                running: false,
                vpn: None
            }
        ),
        &State::Connecting(ConnectStep::WaitingForTunnel)
    );
    assert_eq!(r.actions, vec![Action::VerifyBlock]);
}

#[test]
fn silence_engages_the_kill_switch_once_verified() {
    // The last reply came at 20 ms; a beat is missed at 20 + suspect.
    let mut r = Run::protected();
    let (suspect, drop) = (r.m.suspect_ms(), r.m.silence_ms());
    assert_eq!(
        (suspect, drop),
        (
            BEAT_MS + LATE_MIN_MS,
            BEAT_MS + LATE_MIN_MS + BURST_SPAN_MS + CONFIRM_MIN_MS
        )
    );
    assert_eq!(r.at(20 + suspect, Signal::Tick), &State::Protected);
    assert!(r.actions.is_empty());
    // Suspicious: a burst goes out and the block is probed ahead, the state
    // still protected.
    assert_eq!(r.at(21 + suspect, Signal::Tick), &State::Protected);
    assert_eq!(r.actions, vec![Action::VerifyBlock, Action::Burst]);
    assert_eq!(r.at(20 + drop, Signal::Tick), &State::Protected);
    // A drop, its verdict on its way: no second probe.
    assert_eq!(
        r.at(21 + drop, Signal::Tick),
        &State::Connecting(ConnectStep::WaitingForTunnel)
    );
    assert_eq!(r.actions.len(), 2);
    let verdict = 40 + drop;
    assert_eq!(
        r.at(verdict, Signal::Block(BlockProbe::Blocked)),
        &State::KillSwitchEngaged
    );
    assert_eq!(r.kinds(), vec![EventKind::KillSwitchEngaged]);
    assert!(
        r.events[0].message.contains("nothing leaked"),
        "{}",
        r.events[0].message
    );
    assert!(r.events[0].notify);
    // Verified again every second while down, with a burst to find the way
    // back.
    r.at(verdict + REVERIFY_MS - 1, Signal::Tick);
    assert_eq!(r.actions.len(), 2);
    r.at(verdict + REVERIFY_MS, Signal::Tick);
    assert_eq!(&r.actions[2..], &[Action::VerifyBlock, Action::Burst]);
    // A reply: recovered.
    assert_eq!(
        r.at(verdict + REVERIFY_MS + 10, Signal::Alive),
        &State::Protected
    );
    assert_eq!(
        r.kinds(),
        vec![EventKind::KillSwitchEngaged, EventKind::Recovered]
    );
    // A silent outage keeps the interface: qBittorrent is left alone.
    assert!(!r.actions.iter().any(|a| matches!(a, Action::Rebind(_))));
}

#[test]
fn a_verdict_probed_ahead_engages_the_kill_switch_at_once() {
    let mut r = Run::protected();
    let (suspect, drop) = (r.m.suspect_ms(), r.m.silence_ms());
    r.at(21 + suspect, Signal::Tick);
    assert_eq!(
        r.at(30 + suspect, Signal::Block(BlockProbe::Blocked)),
        &State::Protected
    );
    assert!(r.events.is_empty());
    assert_eq!(r.at(21 + drop, Signal::Tick), &State::KillSwitchEngaged);
    assert_eq!(r.events[0].at_ms, 21 + drop);
    // A verdict from an earlier silence does not count for the next one.
    let mut r = Run::protected();
    r.at(21 + suspect, Signal::Tick);
    r.at(30 + suspect, Signal::Block(BlockProbe::Blocked));
    r.at(40 + suspect, Signal::Alive);
    assert_eq!(
        r.at(41 + suspect + drop, Signal::Tick),
        &State::Connecting(ConnectStep::WaitingForTunnel)
    );
}

/// One run of the steady ping (its beat): a clean tunnel for a minute,
/// then for `minutes` one that loses `loss` % of the round trips and
/// delays each reply by 0 to `delay` ms (netem's `loss L delay D/2 D/2` on
/// the VPN server's side), optionally cut at `cut_at`. The engine delivers
/// each line 0–15 ms late. The machine is woken only at its own deadlines,
/// and each of its bursts and block probes is answered the way the driver
/// does. Returns the run and how many bursts went out.
fn beat_through(
    seed: u64,
    loss: u64,
    delay: u64,
    minutes: u64,
    cut_at: Option<u64>,
) -> (Run, usize) {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut r = Run::protected();
    // A fixed linear congruential sequence: the same run for a seed.
    let mut state = seed.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    let impaired_from = 60_000;
    let end = impaired_from + minutes * 60_000;
    // When the reply to a probe sent at `sent` reaches the machine, with its
    // round trip (µs) as ping prints it.
    let answered = |sent: u64, next: &mut dyn FnMut() -> u64| -> Option<(u64, u32)> {
        let impaired = sent >= impaired_from;
        let lost = impaired && next() % 100 < loss;
        let late = if impaired { next() % (delay + 1) } else { 0 };
        let delivery = next() % 16;
        let through = cut_at.is_none_or(|cut| sent < cut);
        let rtt_us = u32::try_from(1_000 + late * 1_000).unwrap();
        (!lost && through).then_some((sent + 1 + late + delivery, rtt_us))
    };
    // (arrival, the round trip of a beat; none for a burst's reply)
    let mut arrivals = BinaryHeap::new();
    let mut sent = 20 + BEAT_MS;
    while sent < end {
        if let Some((at, rtt)) = answered(sent, &mut next) {
            arrivals.push(Reverse((at, Some(rtt))));
        }
        sent += BEAT_MS;
    }
    let (mut handled, mut bursts) = (0, 0);
    loop {
        let arrival = arrivals.peek().map(|Reverse((at, _))| *at);
        let due = r.m.next_deadline();
        let now = match (arrival, due) {
            (Some(a), Some(d)) => a.min(d),
            (Some(a), None) => a,
            (None, Some(d)) => d,
            (None, None) => break,
        };
        if now >= end {
            break;
        }
        if arrival == Some(now) {
            let Reverse((_, rtt)) = arrivals.pop().unwrap();
            r.at(
                now,
                rtt.map_or(Signal::Alive, |rtt| Signal::Beat(Some(rtt))),
            );
        } else {
            r.at(now, Signal::Tick);
        }
        let new: Vec<Action> = r.actions.iter().skip(handled).cloned().collect();
        for action in new {
            match action {
                Action::Burst => {
                    bursts += 1;
                    for i in 0..BURST_PROBES {
                        if let Some((at, _)) = answered(now + 5 + BURST_GAP_MS * i, &mut next) {
                            arrivals.push(Reverse((at, None)));
                        }
                    }
                }
                Action::VerifyBlock => {
                    r.at(now + 10, Signal::Block(BlockProbe::Blocked));
                }
                _ => {}
            }
        }
        handled = r.actions.len();
    }
    (r, bursts)
}

/// The bench's soak (5 % loss, 0–200 ms of delay) for 10 minutes after a
/// clean minute, over 40 seeds: bursts answer the missed beats, and the
/// jump from a clean tunnel to a jittery one is no drop either.
#[test]
fn lost_and_late_replies_are_no_drop() {
    let mut bursts = 0;
    for seed in 1..=40 {
        let (r, b) = beat_through(seed, 5, 200, 10, None);
        bursts += b;
        assert!(
            !r.kinds().contains(&EventKind::KillSwitchEngaged),
            "seed {seed}: {:?}",
            r.events
        );
        assert_eq!(r.m.snapshot().state, State::Protected, "seed {seed}");
        assert!(
            r.m.late_ms() > 2 * LATE_MIN_MS,
            "seed {seed}: the jitter was learnt"
        );
    }
    assert!(bursts > 40 * 20, "the soak missed beats: {bursts} bursts");
}

/// A clean tunnel cut at any phase of the beat is a drop within one beat,
/// a reply timeout, a burst and its wait, and the block verified ahead
/// engages the kill switch then.
#[test]
fn a_cut_is_a_drop_within_a_beat_and_a_burst() {
    let mut after = Vec::new();
    for (seed, phase) in (0..BEAT_MS).step_by(25).enumerate() {
        let cut = 30_000 + phase;
        let (r, _) = beat_through(seed as u64, 0, 0, 0, Some(cut));
        let engaged = r
            .events
            .iter()
            .find(|e| e.kind == EventKind::KillSwitchEngaged)
            .expect("a drop");
        after.push(engaged.at_ms - cut);
    }
    after.sort_unstable();
    let (median, max) = (after[after.len() / 2], after[after.len() - 1]);
    // The last reply's delivery (up to 15 ms late) counts too.
    let bound = BEAT_MS + LATE_MIN_MS + BURST_SPAN_MS + CONFIRM_MIN_MS + 16;
    assert!(max <= bound, "{after:?}");
    assert!(median <= bound - BEAT_MS / 2 + 20, "{after:?}");
}

/// Woken at its deadlines only, the machine notices a silent tunnel within
/// the silence window and verifies the block ahead of it.
#[test]
fn deadlines_wake_the_machine_for_a_drop() {
    let mut r = Run::protected();
    let (suspect, drop) = (r.m.suspect_ms(), r.m.silence_ms());
    let mut now = 20;
    let mut ticks = 0;
    while r.kinds().is_empty() {
        let due = r.m.next_deadline().expect("a deadline while silent");
        assert!(due > now, "{due} after {now}");
        now = due;
        ticks += 1;
        r.at(now, Signal::Tick);
        if r.actions.first() == Some(&Action::VerifyBlock) && ticks == 1 {
            r.at(now + 30, Signal::Block(BlockProbe::Blocked));
        }
        assert!(ticks < 10, "{:?}", r.actions);
    }
    assert_eq!(r.kinds(), vec![EventKind::KillSwitchEngaged]);
    assert_eq!(r.events[0].at_ms, 20 + drop + 1);
    assert_eq!(r.actions, vec![Action::VerifyBlock, Action::Burst]);
    // Down and verified: the next wake-up is the re-verification.
    assert_eq!(
        r.m.next_deadline(),
        Some(20 + suspect + 1 + 30 + REVERIFY_MS)
    );
}

/// Round trips that stray teach the machine to wait longer for a reply,
/// and steady ones shorten the wait again; without round trips, the gaps
/// between beats tell.
#[test]
fn the_reply_timeout_follows_the_jitter() {
    let mut r = Run::protected();
    assert_eq!(r.m.late_ms(), LATE_MIN_MS);
    let mut at = 20;
    for rtt in [1, 150, 1, 120, 10, 180] {
        at += BEAT_MS;
        r.at(
            at + rtt,
            Signal::Beat(Some(u32::try_from(rtt * 1_000).unwrap())),
        );
    }
    let jittery = r.m.late_ms();
    assert!((300..=LATE_MAX_MS).contains(&jittery), "{jittery}");
    for _ in 0..100 {
        at += BEAT_MS;
        r.at(at, Signal::Beat(Some(1_000)));
    }
    assert!(r.m.late_ms() < LATE_MIN_MS + 10, "{}", r.m.late_ms());
    // A late delivery with a steady round trip is no jitter of the tunnel.
    at += BEAT_MS + 30;
    r.at(at, Signal::Beat(Some(1_000)));
    assert!(r.m.late_ms() < LATE_MIN_MS + 10, "{}", r.m.late_ms());
    // Without round trips: a lost beat is no stray (two beats' gap counts
    // as two beats), a late one is.
    let mut r = Run::protected();
    r.at(20 + BEAT_MS, Signal::Beat(None));
    r.at(20 + 3 * BEAT_MS, Signal::Beat(None));
    assert_eq!(r.m.late_ms(), LATE_MIN_MS);
    r.at(20 + 4 * BEAT_MS + 100, Signal::Beat(None));
    assert!(r.m.late_ms() > LATE_MIN_MS + 100, "{}", r.m.late_ms());
}

/// iputils sends every `-i` and a few ms more: the machine learns the beat
/// as it comes, and a steady beat sends no bursts.
#[test]
fn a_ping_slower_than_asked_sends_no_bursts() {
    let mut r = Run::protected();
    let mut at = 20;
    for n in 0..60 {
        at += BEAT_MS + 22;
        while let Some(due) = r.m.next_deadline().filter(|due| *due < at) {
            r.at(due, Signal::Tick);
        }
        r.at(at, Signal::Beat(Some(700)));
        if n == 10 {
            r.actions.clear();
        }
    }
    assert!(r.actions.is_empty(), "{:?}", r.actions);
    assert_eq!(r.m.snapshot().state, State::Protected);
}

/// The first replies after an outage come late (queued while WireGuard
/// shook hands again): they teach nothing about jitter, and the next cut
/// is noticed as fast as the first.
#[test]
fn the_return_from_an_outage_is_no_jitter() {
    let mut r = Run::protected();
    r.at(2_000, Signal::Tick);
    r.at(2_010, Signal::Block(BlockProbe::Blocked));
    assert_eq!(r.m.snapshot().state, State::KillSwitchEngaged);
    let back = 5_000;
    assert_eq!(r.at(back, Signal::Beat(Some(1_400_000))), &State::Protected);
    r.at(back + 300, Signal::Beat(Some(700_000)));
    r.at(back + BEAT_MS, Signal::Beat(Some(1_000)));
    r.at(back + 2 * BEAT_MS, Signal::Beat(Some(1_000)));
    assert_eq!(r.m.late_ms(), LATE_MIN_MS);
}

/// The steady ping starting again at its deadline gives no silence of its
/// own: a cut just before it is noticed in time.
#[test]
fn a_restarted_beat_keeps_the_silence_window() {
    let mut r = Run::protected();
    let drop = r.m.silence_ms();
    r.at(20 + BEAT_MS / 2, Signal::BeatRestarted);
    assert_eq!(r.m.next_deadline(), Some(20 + r.m.suspect_ms() + 1));
    assert_eq!(
        r.at(21 + drop, Signal::Tick),
        &State::Connecting(ConnectStep::WaitingForTunnel)
    );
}

#[test]
fn control_server_saying_stopped_is_down_at_once() {
    let mut r = Run::protected();
    r.at(
        100,
        Signal::Control {
            running: false,
            vpn: None,
        },
    );
    assert_eq!(r.actions, vec![Action::VerifyBlock, Action::Burst]);
    assert_eq!(
        r.at(150, Signal::Block(BlockProbe::Blocked)),
        &State::KillSwitchEngaged
    );
    // The VPN restarted inside the gateway: re-bind once it is back.
    r.at(200, Signal::ForwardedPort(Some(41000)));
    r.at(1_300, control_up());
    assert_eq!(r.at(1_350, Signal::Alive), &State::Protected);
    assert_eq!(r.actions.last(), Some(&Action::Rebind(Some(41000))));
}

#[test]
fn a_probe_that_gets_out_is_a_leak() {
    let mut r = Run::protected();
    r.at(1_500, Signal::Tick);
    r.at(1_600, Signal::Block(BlockProbe::Blocked));
    assert_eq!(
        r.at(
            2_700,
            Signal::Block(BlockProbe::Leaked("echo answered".to_owned()))
        ),
        &State::Leak
    );
    assert_eq!(
        r.kinds(),
        vec![EventKind::KillSwitchEngaged, EventKind::LeakDetected]
    );
    assert!(r.events[1].notify);
    assert!(r.events[1].message.contains("echo answered"));
    // Closed again: the kill switch holds, without a second alert.
    assert_eq!(
        r.at(3_800, Signal::Block(BlockProbe::Blocked)),
        &State::KillSwitchEngaged
    );
    assert_eq!(r.kinds().len(), 2);
}

#[test]
fn an_inconclusive_probe_is_never_a_leak() {
    let mut r = Run::protected();
    r.at(1_500, Signal::Tick);
    let s = r.at(
        1_600,
        Signal::Block(BlockProbe::Inconclusive("the gateway is paused".to_owned())),
    );
    assert_eq!(s, &State::KillSwitchEngaged);
    assert!(r.events[0].message.contains("could not be checked"));
}

#[test]
fn libtorrent_seeing_another_address_is_a_leak() {
    let mut r = Run::protected();
    let transfer = |ip: &str| Signal::Transfer {
        transfer: Transfer {
            down_bps: 1,
            up_bps: 2,
            active_torrents: 1,
        },
        connection: "connected".to_owned(),
        external_ip: Some(ip.to_owned()),
    };
    assert_eq!(r.at(100, transfer("10.222.0.3")), &State::Protected);
    assert_eq!(r.at(200, transfer("10.222.0.2")), &State::Leak);
    assert_eq!(r.kinds(), vec![EventKind::LeakDetected]);
}

#[test]
fn flapping_emits_every_transition_but_notifies_once_per_window() {
    let mut r = Run::protected();
    let mut t = 0;
    for _ in 0..100 {
        t += 2_000;
        r.at(t, Signal::Tick);
        r.at(t + 10, Signal::Block(BlockProbe::Blocked));
        r.at(t + 500, Signal::Alive);
    }
    let engaged = r
        .kinds()
        .iter()
        .filter(|k| **k == EventKind::KillSwitchEngaged)
        .count();
    let recovered = r
        .kinds()
        .iter()
        .filter(|k| **k == EventKind::Recovered)
        .count();
    assert_eq!((engaged, recovered), (100, 100), "no transition missed");
    let notified = r.events.iter().filter(|e| e.notify).count();
    // 200 s of flapping: one alert of each kind per 60 s window.
    assert_eq!(notified, 8, "{notified} notifications");
}

#[test]
fn docker_stopping_and_returning() {
    let mut r = Run::protected();
    assert_eq!(
        r.at(100, Signal::EngineDown("gone".to_owned())),
        &State::DockerUnavailable
    );
    // Repeated failures say nothing new.
    r.at(200, Signal::EngineDown("still gone".to_owned()));
    assert_eq!(r.kinds(), vec![EventKind::DockerStopped]);
    r.at(5_000, Signal::EngineUp);
    assert_eq!(
        r.kinds(),
        vec![EventKind::DockerStopped, EventKind::DockerBack]
    );
    // Back: silence during the outage is no tunnel drop.
    r.at(6_000, Signal::Tick);
    assert!(!r.kinds().contains(&EventKind::KillSwitchEngaged));
    assert!(!r.actions.contains(&Action::VerifyBlock));
}

#[test]
fn gateway_restart_reports_restart_then_healed() {
    let mut r = Run::protected();
    r.at(100, Signal::Presence(Presence::GatewayDown));
    assert_eq!(r.m.snapshot().state, State::Healing);
    r.at(200, Signal::GatewayStarted);
    r.at(200, Signal::Presence(Presence::Running));
    r.at(210, Signal::ProbeStarted);
    r.at(300, control_up());
    assert_eq!(r.at(400, Signal::Alive), &State::Protected);
    assert_eq!(
        r.kinds(),
        vec![EventKind::GatewayRestarted, EventKind::Healed]
    );
}

#[test]
fn pause_and_wake_give_a_single_recovery_and_no_leak() {
    let mut r = Run::protected();
    r.at(100, Signal::Presence(Presence::Paused));
    assert_eq!(r.m.snapshot().state, State::Healing);
    for t in (1_000..60_000).step_by(1_000) {
        r.at(t, Signal::ControlUnreachable("timeout".to_owned()));
        r.at(t + 1, Signal::Tick);
    }
    r.at(60_100, Signal::Presence(Presence::Running));
    r.at(60_100, Signal::ProbeStarted);
    r.at(60_200, control_up());
    assert_eq!(r.at(60_300, Signal::Alive), &State::Protected);
    assert!(!r.kinds().contains(&EventKind::LeakDetected));
    assert_eq!(r.kinds(), vec![EventKind::Recovered]);
}

#[test]
fn port_changes_are_synced() {
    let mut r = Run::protected();
    r.at(100, Signal::ForwardedPort(Some(41000)));
    r.at(150, Signal::ForwardedPort(Some(41000)));
    r.at(200, Signal::ForwardedPort(Some(42000)));
    assert_eq!(
        r.kinds(),
        vec![EventKind::PortChanged, EventKind::PortChanged]
    );
    assert_eq!(
        r.actions,
        vec![Action::SyncPort(Some(41000)), Action::SyncPort(Some(42000))]
    );
    assert_eq!(
        r.m.snapshot().forwarded_port.as_ref().map(|p| p.value),
        Some(42000)
    );
}

#[test]
fn connect_progress_and_failure() {
    let mut r = Run::new();
    r.at(0, Signal::EngineUp);
    assert_eq!(
        r.at(1, Signal::Connecting(Some(ConnectStep::Images))),
        &State::Connecting(ConnectStep::Images)
    );
    r.at(2, Signal::ConnectFailed("port 8080 is in use".to_owned()));
    assert_eq!(
        r.m.snapshot().state,
        State::Error("port 8080 is in use".to_owned())
    );
    assert_eq!(r.kinds(), vec![EventKind::ConnectFailed]);
}

#[test]
fn snapshots_only_on_change() {
    let mut m = Machine::new(0);
    assert!(m.on(Signal::EngineUp, 1).snapshot.is_none());
    assert!(m.on(Signal::Tick, 2).snapshot.is_none());
    assert!(m
        .on(Signal::Presence(Presence::Running), 3)
        .snapshot
        .is_some());
}

#[test]
fn a_leak_while_connecting_is_reported() {
    let mut r = Run::new();
    r.at(0, Signal::EngineUp);
    r.at(0, Signal::Connecting(Some(ConnectStep::StartingGateway)));
    // The gateway runs, its tunnel not up yet: the block is checked.
    assert_eq!(
        r.at(10, Signal::Presence(Presence::Running)),
        &State::Connecting(ConnectStep::StartingGateway)
    );
    assert_eq!(r.actions, vec![Action::VerifyBlock]);
    r.at(20, Signal::Connecting(Some(ConnectStep::WaitingForTunnel)));
    r.at(20, Signal::ProbeStarted);
    assert_eq!(r.actions.len(), 1, "one probe at a time");
    // A block keeps the connect's progress on show.
    assert_eq!(
        r.at(40, Signal::Block(BlockProbe::Blocked)),
        &State::Connecting(ConnectStep::WaitingForTunnel)
    );
    assert!(r.events.is_empty());
    // Checked again a second later: now it leaks, and that shows at once.
    r.at(1_100, Signal::Tick);
    assert_eq!(r.actions.len(), 2);
    assert_eq!(
        r.at(
            1_150,
            Signal::Block(BlockProbe::Leaked("answered".to_owned()))
        ),
        &State::Leak
    );
    assert_eq!(r.kinds(), vec![EventKind::LeakDetected]);
    assert!(r.events[0].notify);
}

#[test]
fn a_protected_stack_stays_so_while_a_connect_reports() {
    let mut r = Run::protected();
    r.at(100, Signal::Connecting(Some(ConnectStep::Preparing)));
    r.at(200, Signal::Alive);
    assert!(
        r.actions.is_empty(),
        "an up tunnel needs no block check: {:?}",
        r.actions
    );
}

#[test]
fn a_restarted_probe_gets_its_own_silence_window() {
    // The last reply at 20 ms; the ping started again at 300 ms (a new
    // tunnel interface, or its deadline).
    let mut r = Run::protected();
    let (suspect, drop) = (r.m.suspect_ms(), r.m.silence_ms());
    r.at(300, Signal::ProbeStarted);
    assert_eq!(r.at(20 + drop + 10, Signal::Tick), &State::Protected);
    assert_eq!(r.m.next_deadline(), Some(300 + suspect + 1));
    assert_eq!(r.at(300 + suspect - 10, Signal::Alive), &State::Protected);
    // Silent after its start as well: a drop.
    r.at(2_000, Signal::ProbeStarted);
    assert_eq!(
        r.at(2_000 + drop + 1, Signal::Tick),
        &State::Connecting(ConnectStep::WaitingForTunnel)
    );
}
