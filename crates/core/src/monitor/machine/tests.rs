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
        assert_eq!(r.at(20, Signal::Alive), &State::Protected);
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
    // The last reply came at 20 ms.
    let mut r = Run::protected();
    assert_eq!(r.at(220, Signal::Tick), &State::Protected);
    assert!(r.actions.is_empty());
    // Suspicious: the block is probed ahead, the state still protected.
    assert_eq!(r.at(230, Signal::Tick), &State::Protected);
    assert_eq!(r.actions, vec![Action::VerifyBlock]);
    assert_eq!(r.at(470, Signal::Tick), &State::Protected);
    // A drop, its verdict on its way: no second probe.
    assert_eq!(
        r.at(480, Signal::Tick),
        &State::Connecting(ConnectStep::WaitingForTunnel)
    );
    assert_eq!(r.actions.len(), 1);
    assert_eq!(
        r.at(500, Signal::Block(BlockProbe::Blocked)),
        &State::KillSwitchEngaged
    );
    assert_eq!(r.kinds(), vec![EventKind::KillSwitchEngaged]);
    assert!(
        r.events[0].message.contains("nothing leaked"),
        "{}",
        r.events[0].message
    );
    assert!(r.events[0].notify);
    // Verified again every second while down.
    r.at(1_400, Signal::Tick);
    assert_eq!(r.actions.len(), 1);
    r.at(1_500, Signal::Tick);
    assert_eq!(r.actions.len(), 2);
    // A reply: recovered.
    assert_eq!(r.at(1_600, Signal::Alive), &State::Protected);
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
    r.at(230, Signal::Tick);
    assert_eq!(
        r.at(300, Signal::Block(BlockProbe::Blocked)),
        &State::Protected
    );
    assert!(r.events.is_empty());
    assert_eq!(r.at(480, Signal::Tick), &State::KillSwitchEngaged);
    assert_eq!(r.events[0].at_ms, 480);
    // A verdict from an earlier silence does not count for the next one.
    let mut r = Run::protected();
    r.at(230, Signal::Tick);
    r.at(300, Signal::Block(BlockProbe::Blocked));
    r.at(400, Signal::Alive);
    assert_eq!(
        r.at(900, Signal::Tick),
        &State::Connecting(ConnectStep::WaitingForTunnel)
    );
}

/// A probe every 50 ms through a tunnel that loses 5 % of the replies and
/// delays each by 0 to 200 ms (the bench's netem soak), for 10 minutes, with
/// the machine woken only at its own deadlines: never a drop.
#[test]
fn lost_and_late_replies_are_no_drop() {
    let mut r = Run::protected();
    // A fixed linear congruential sequence: the same run every time.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    let mut replies: Vec<u64> = (1..12_000u64)
        .filter_map(|k| {
            let lost = next() % 100 < 5;
            let delay = next() % 201;
            (!lost).then_some(20 + k * 50 + delay)
        })
        .collect();
    replies.sort_unstable();
    let widest = replies.windows(2).map(|w| w[1] - w[0]).max().unwrap();
    assert!(
        widest > SUSPECT_MS && widest <= SILENCE_MS,
        "a run that tests the margin: widest gap {widest} ms"
    );
    // Each probe ahead is answered: the block is in place.
    let mut answered = 0;
    let mut answer = |r: &mut Run, at: u64| {
        if r.actions.len() > answered {
            answered = r.actions.len();
            r.at(at, Signal::Block(BlockProbe::Blocked));
        }
    };
    for at in replies {
        while let Some(due) = r.m.next_deadline().filter(|due| *due < at) {
            r.at(due, Signal::Tick);
            answer(&mut r, due);
        }
        r.at(at, Signal::Alive);
        answer(&mut r, at);
    }
    assert!(r.actions.iter().all(|a| *a == Action::VerifyBlock));
    assert!(!r.actions.is_empty(), "no silence was ever suspicious");
    assert!(
        !r.kinds().contains(&EventKind::KillSwitchEngaged),
        "{:?}",
        r.events
    );
    assert_eq!(r.m.snapshot().state, State::Protected);
}

/// Woken at its deadlines only, the machine notices a silent tunnel within
/// the silence window and verifies the block ahead of it.
#[test]
fn deadlines_wake_the_machine_for_a_drop() {
    let mut r = Run::protected();
    let mut now = 20;
    let mut ticks = 0;
    while r.kinds().is_empty() {
        let due = r.m.next_deadline().expect("a deadline while silent");
        assert!(due > now, "{due} after {now}");
        now = due;
        ticks += 1;
        r.at(now, Signal::Tick);
        if r.actions.last() == Some(&Action::VerifyBlock) && ticks == 1 {
            r.at(now + 30, Signal::Block(BlockProbe::Blocked));
        }
        assert!(ticks < 10, "{:?}", r.actions);
    }
    assert_eq!(r.kinds(), vec![EventKind::KillSwitchEngaged]);
    assert_eq!(r.events[0].at_ms, 20 + SILENCE_MS + 1);
    assert_eq!(r.actions, vec![Action::VerifyBlock]);
    // Down and verified: the next wake-up is the re-verification.
    assert_eq!(
        r.m.next_deadline(),
        Some(20 + SUSPECT_MS + 1 + 30 + REVERIFY_MS)
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
    assert_eq!(r.actions, vec![Action::VerifyBlock]);
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
    r.at(300, Signal::ProbeStarted);
    assert_eq!(r.at(600, Signal::Tick), &State::Protected);
    assert_eq!(r.m.next_deadline(), Some(300 + SILENCE_MS + 1));
    assert_eq!(r.at(650, Signal::Alive), &State::Protected);
    // Silent after its start as well: a drop.
    r.at(700, Signal::ProbeStarted);
    assert_eq!(
        r.at(700 + SILENCE_MS + 1, Signal::Tick),
        &State::Connecting(ConnectStep::WaitingForTunnel)
    );
}
