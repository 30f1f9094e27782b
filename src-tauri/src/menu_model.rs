//! The tray menu as plain data: a pure function of the status snapshot, the
//! app's own operation in flight and the user's preferences. The tray adapter
//! only applies it.

use serde::Serialize;
use tvpn_core::monitor::{Snapshot, State};
use tvpn_core::stack::CONNECT_STEPS;
use tvpn_core::verify::Report;

/// A snapshot older than this shows "status unknown", never stale numbers.
pub const STALE_AFTER_MS: u64 = 5_000;

/// The core's prefix for a settings file it cannot use
/// (`Snapshot::from_report`).
const SETTINGS_ERROR_PREFIX: &str = "settings:";

/// The icon to show; names match `icons/tray/<name>.png`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrayIcon {
    Protected,
    Connecting,
    Disconnected,
    KillSwitch,
    Leak,
    Error,
    DockerDown,
}

impl TrayIcon {
    pub fn name(self) -> &'static str {
        match self {
            TrayIcon::Protected => "protected",
            TrayIcon::Connecting => "connecting",
            TrayIcon::Disconnected => "disconnected",
            TrayIcon::KillSwitch => "killswitch",
            TrayIcon::Leak => "leak",
            TrayIcon::Error => "error",
            TrayIcon::DockerDown => "docker-down",
        }
    }
}

/// What the one action item does; only the action that fits is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Connect,
    Disconnect,
    /// A connect is running: stop it and remove what it started.
    Cancel,
    /// Not configured: the item opens onboarding (with the demo offer).
    SetUp,
    /// The settings file is not usable: the item opens Settings.
    FixSettings,
    /// A disconnect (or a cancel) is running; the item is disabled.
    Disconnecting,
}

impl Action {
    pub fn text(self) -> &'static str {
        match self {
            Action::Connect => "Connect",
            Action::Disconnect => "Disconnect",
            Action::Cancel => "Cancel",
            Action::SetUp => "Set Up Torrent VPN…",
            Action::FixSettings => "Open Settings…",
            Action::Disconnecting => "Disconnecting…",
        }
    }
}

/// What the session is doing (not the stack's state).
pub use tvpn_core::session::Busy;

/// What the user chose, and what the app knows of itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Prefs {
    pub launch_at_login: bool,
    /// Only the installed app starts at login, never a build inside a
    /// source tree (`tvpn_core::install`).
    pub installed_app: bool,
    /// A newer version the last update check found.
    pub update_version: Option<String>,
    /// An update check or install runs.
    pub updating: bool,
    /// macOS: show the download speed next to the icon.
    pub speed_in_title: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MenuModel {
    pub icon: TrayIcon,
    /// The state in words.
    pub tooltip: String,
    /// Text next to the icon (macOS menu bar), if any.
    pub title: Option<String>,
    pub status_line: String,
    pub health_line: String,
    pub speed_line: String,
    pub action: Action,
    pub action_enabled: bool,
    pub open_webui_enabled: bool,
    /// "Copy Web UI Password": whenever the app is set up.
    pub copy_password_enabled: bool,
    /// "Back Up Now": whenever the app is set up and no backup runs.
    pub back_up_enabled: bool,
    pub verify_text: String,
    pub verify_enabled: bool,
    /// "Test the Kill Switch…": only while protected.
    pub kill_switch_test_enabled: bool,
    pub launch_at_login: bool,
    pub installed_app: bool,
    /// "Check for Updates…", "Checking for Updates…" or "Install Update
    /// X…".
    pub update_text: String,
    pub update_enabled: bool,
}

const NO_SPEEDS: &str = "↓ –  ↑ –";

/// When the model of snapshot `s` changes with time alone: the moment it
/// turns stale (ms since the epoch); never for a snapshot already stale
/// from the start (`at_ms` 0, "Status unknown" until the first report).
pub fn stale_at(s: &Snapshot) -> Option<u64> {
    (s.at_ms > 0).then(|| s.at_ms + STALE_AFTER_MS + 1)
}

/// The model for snapshot `s`; `verified` is the last verify's result.
pub fn menu_model(
    s: &Snapshot,
    busy: &Busy,
    prefs: &Prefs,
    verified: Option<&Report>,
    now_ms: u64,
) -> MenuModel {
    let stale = now_ms.saturating_sub(s.at_ms) > STALE_AFTER_MS;
    let (icon, status_line, action) = if stale {
        (
            TrayIcon::Error,
            "Status unknown".to_owned(),
            Action::Connect,
        )
    } else {
        match &s.state {
            State::DockerUnavailable => (
                TrayIcon::DockerDown,
                "Docker is not running".to_owned(),
                Action::Connect,
            ),
            State::NotConfigured => (
                TrayIcon::Disconnected,
                "Not set up yet".to_owned(),
                Action::SetUp,
            ),
            State::Disconnected => (
                TrayIcon::Disconnected,
                "Disconnected".to_owned(),
                Action::Connect,
            ),
            State::Connecting(step) => (
                TrayIcon::Connecting,
                format!("Connecting: {}…", step.label()),
                Action::Cancel,
            ),
            State::Protected => (TrayIcon::Protected, protected_line(s), Action::Disconnect),
            State::KillSwitchEngaged => (
                TrayIcon::KillSwitch,
                "VPN dropped — torrents blocked".to_owned(),
                Action::Disconnect,
            ),
            State::Leak => (
                TrayIcon::Leak,
                "LEAK — traffic outside the VPN".to_owned(),
                Action::Disconnect,
            ),
            State::Healing => (
                TrayIcon::Connecting,
                "Reconnecting qBittorrent…".to_owned(),
                Action::Disconnect,
            ),
            State::Error(why) if why.starts_with(SETTINGS_ERROR_PREFIX) => (
                TrayIcon::Error,
                format!(
                    "Settings error: {}",
                    why[SETTINGS_ERROR_PREFIX.len()..].trim()
                ),
                Action::FixSettings,
            ),
            State::Error(why) => (TrayIcon::Error, format!("Error: {why}"), Action::Connect),
        }
    };
    let live = !stale;
    // A disconnect (or a cancel's clean-up) runs: the stack is going away,
    // whatever the last snapshot said.
    let disconnecting = live && busy.disconnecting;
    let (icon, status_line, action) = if disconnecting {
        (
            TrayIcon::Connecting,
            "Disconnecting…".to_owned(),
            Action::Disconnecting,
        )
    } else {
        (icon, status_line, action)
    };
    let action_enabled = live
        && !matches!(action, Action::Disconnecting)
        && !matches!(s.state, State::DockerUnavailable);
    let connected = live
        && !disconnecting
        && matches!(
            s.state,
            State::Protected | State::KillSwitchEngaged | State::Healing
        );
    let health_line = if disconnecting {
        "Stopping qBittorrent, then the gateway".to_owned()
    } else if live {
        health_line(s)
    } else {
        "Waiting for the monitor…".to_owned()
    };
    let protected = live && !disconnecting && s.state == State::Protected;
    let speed_line = match (&s.transfer, protected) {
        (Some(t), true) => format!(
            "↓ {}  ↑ {} · {} active",
            human_rate(t.value.down_bps),
            human_rate(t.value.up_bps),
            t.value.active_torrents
        ),
        _ => NO_SPEEDS.to_owned(),
    };
    let title = match (&s.transfer, prefs.speed_in_title && protected) {
        (Some(t), true) => Some(format!("↓{}", short_rate(t.value.down_bps))),
        _ => None,
    };
    let verify_text = match verified {
        _ if busy.verifying => "Verifying Protection…",
        Some(r) if r.protected => "Verify Protection… (last: passed)",
        Some(r) if !r.checks.is_empty() => "Verify Protection… (last: FAILED)",
        _ => "Verify Protection…",
    };
    // Protected as the monitor sees it, but a check failed: that shows.
    let failed = verified
        .filter(|r| !r.protected)
        .and_then(|r| r.checks.iter().find(|c| !c.ok));
    let (icon, status_line) = match failed {
        Some(c) if s.state == State::Protected && !stale && !disconnecting => {
            (TrayIcon::Error, format!("Check failed: {}", c.name))
        }
        _ => (icon, status_line),
    };
    MenuModel {
        icon,
        tooltip: format!("Torrent VPN — {status_line}"),
        title,
        status_line,
        health_line,
        speed_line,
        action,
        action_enabled,
        open_webui_enabled: connected,
        copy_password_enabled: live && !matches!(action, Action::SetUp | Action::FixSettings),
        back_up_enabled: live
            && !busy.backing_up
            && !matches!(action, Action::SetUp | Action::FixSettings),
        verify_text: verify_text.to_owned(),
        verify_enabled: connected && !busy.verifying && !busy.disconnecting,
        kill_switch_test_enabled: protected && !busy.verifying && !busy.disconnecting,
        launch_at_login: prefs.launch_at_login,
        installed_app: prefs.installed_app,
        update_text: match (&prefs.update_version, prefs.updating) {
            (Some(v), true) => format!("Installing Update {v}…"),
            (None, true) => "Checking for Updates…".to_owned(),
            (Some(v), false) => format!("Install Update {v}…"),
            (None, false) => "Check for Updates…".to_owned(),
        },
        update_enabled: !prefs.updating,
    }
}

fn protected_line(s: &Snapshot) -> String {
    match &s.vpn {
        Some(v) => match v.value.country.as_deref().filter(|c| !c.is_empty()) {
            Some(place) => format!("Protected · {} · {place}", v.value.public_ip),
            None => format!("Protected · {}", v.value.public_ip),
        },
        None => "Protected".to_owned(),
    }
}

fn health_line(s: &Snapshot) -> String {
    match &s.state {
        State::DockerUnavailable => "Start Docker to connect".to_owned(),
        State::NotConfigured => "Choose a VPN, or try the demo".to_owned(),
        State::Disconnected => "qBittorrent is not running".to_owned(),
        State::Error(_) => "Details in Show Logs".to_owned(),
        State::Connecting(step) => {
            let number = CONNECT_STEPS
                .iter()
                .position(|s| s == step)
                .map_or(0, |i| i + 1);
            format!("Step {number} of {}", CONNECT_STEPS.len())
        }
        State::Protected | State::KillSwitchEngaged | State::Leak | State::Healing => {
            gateway_line(s)
        }
    }
}

fn gateway_line(s: &Snapshot) -> String {
    let health = s.gateway_health.as_ref().map(|h| h.value.as_str());
    let gateway = match (health, &s.state) {
        (Some("healthy"), _) => "Gateway healthy",
        (Some("unhealthy"), _) => "Gateway unhealthy",
        (Some("starting"), _) => "Gateway starting",
        // No Docker health check: the monitor's own verdict (the control
        // server runs and a reply came through the tunnel within 1 s).
        (_, State::Protected) => "Gateway healthy",
        (_, State::KillSwitchEngaged | State::Leak) => "Tunnel down",
        (_, State::Healing) => "Gateway down",
        _ => "Gateway running",
    };
    match &s.forwarded_port {
        Some(p) if p.value != 0 => format!("{gateway} · port {} forwarded", p.value),
        _ => format!("{gateway} · no forwarded port"),
    }
}

/// `2.4 MB/s`, `310 KB/s`, `0 B/s` (decimal units, as qBittorrent shows them).
pub fn human_rate(bps: u64) -> String {
    const K: f64 = 1000.0;
    let b = bps as f64;
    if b >= K * K * K {
        format!("{:.1} GB/s", b / (K * K * K))
    } else if b >= K * K {
        format!("{:.1} MB/s", b / (K * K))
    } else if b >= K {
        format!("{:.0} KB/s", b / K)
    } else {
        format!("{bps} B/s")
    }
}

/// `2.4M`, `310K`, `0`: fits next to the icon.
fn short_rate(bps: u64) -> String {
    let b = bps as f64;
    if b >= 1e6 {
        format!("{:.1}M", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.0}K", b / 1e3)
    } else {
        format!("{bps}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tvpn_core::monitor::{ConnectStep, Timed, Transfer, VpnInfo};

    const NOW: u64 = 1_000_000;
    const IDLE: Busy = Busy {
        connecting: false,
        disconnecting: false,
        verifying: false,
        backing_up: false,
    };

    fn snap(state: State) -> Snapshot {
        Snapshot::new(state, NOW - 1_000)
    }

    fn model(s: &Snapshot) -> MenuModel {
        menu_model(s, &IDLE, &Prefs::default(), None, NOW)
    }

    fn protected_bare() -> Snapshot {
        let mut s = snap(State::Protected);
        s.vpn = Some(Timed {
            value: VpnInfo {
                public_ip: "10.222.0.3".into(),
                country: Some("Labland".into()),
                city: None,
            },
            at_ms: NOW,
        });
        s
    }

    fn protected() -> Snapshot {
        let mut s = protected_bare();
        s.gateway_health = Some(Timed {
            value: "healthy".into(),
            at_ms: NOW,
        });
        s.forwarded_port = Some(Timed {
            value: 41000,
            at_ms: NOW,
        });
        s.transfer = Some(Timed {
            value: Transfer {
                down_bps: 2_400_000,
                up_bps: 310_000,
                active_torrents: 3,
            },
            at_ms: NOW,
        });
        s
    }

    struct Row {
        snapshot: Snapshot,
        icon: TrayIcon,
        status: String,
        health: &'static str,
        action: Action,
        action_enabled: bool,
        connected: bool,
    }

    fn row(
        snapshot: Snapshot,
        icon: TrayIcon,
        status: impl Into<String>,
        health: &'static str,
        action: Action,
        action_enabled: bool,
        connected: bool,
    ) -> Row {
        Row {
            snapshot,
            icon,
            status: status.into(),
            health,
            action,
            action_enabled,
            connected,
        }
    }

    #[test]
    fn every_state_has_its_icon_lines_and_action() {
        use Action as A;
        use TrayIcon as I;
        let mut table = vec![
            row(
                snap(State::DockerUnavailable),
                I::DockerDown,
                "Docker is not running",
                "Start Docker to connect",
                A::Connect,
                false,
                false,
            ),
            row(
                snap(State::NotConfigured),
                I::Disconnected,
                "Not set up yet",
                "Choose a VPN, or try the demo",
                A::SetUp,
                true,
                false,
            ),
            row(
                snap(State::Disconnected),
                I::Disconnected,
                "Disconnected",
                "qBittorrent is not running",
                A::Connect,
                true,
                false,
            ),
            row(
                protected(),
                I::Protected,
                "Protected · 10.222.0.3 · Labland",
                "Gateway healthy · port 41000 forwarded",
                A::Disconnect,
                true,
                true,
            ),
            row(
                protected_bare(),
                I::Protected,
                "Protected · 10.222.0.3 · Labland",
                "Gateway healthy · no forwarded port",
                A::Disconnect,
                true,
                true,
            ),
            row(
                snap(State::KillSwitchEngaged),
                I::KillSwitch,
                "VPN dropped — torrents blocked",
                "Tunnel down · no forwarded port",
                A::Disconnect,
                true,
                true,
            ),
            row(
                snap(State::Leak),
                I::Leak,
                "LEAK — traffic outside the VPN",
                "Tunnel down · no forwarded port",
                A::Disconnect,
                true,
                false,
            ),
            row(
                snap(State::Healing),
                I::Connecting,
                "Reconnecting qBittorrent…",
                "Gateway down · no forwarded port",
                A::Disconnect,
                true,
                true,
            ),
            row(
                snap(State::Error("boom".into())),
                I::Error,
                "Error: boom",
                "Details in Show Logs",
                A::Connect,
                true,
                false,
            ),
            row(
                snap(State::Error("settings: vpn.type: unknown".into())),
                I::Error,
                "Settings error: vpn.type: unknown",
                "Details in Show Logs",
                A::FixSettings,
                true,
                false,
            ),
        ];
        let healths = [
            "Step 1 of 7",
            "Step 2 of 7",
            "Step 3 of 7",
            "Step 4 of 7",
            "Step 5 of 7",
            "Step 6 of 7",
            "Step 7 of 7",
        ];
        for (step, health) in CONNECT_STEPS.iter().zip(healths) {
            table.push(row(
                snap(State::Connecting(*step)),
                I::Connecting,
                format!("Connecting: {}…", step.label()),
                health,
                A::Cancel,
                true,
                false,
            ));
        }
        assert_eq!(table.len(), 17);
        for r in table {
            let m = model(&r.snapshot);
            let what = format!("{:?}", r.snapshot.state);
            assert_eq!(m.icon, r.icon, "{what}");
            assert_eq!(m.status_line, r.status, "{what}");
            assert_eq!(m.health_line, r.health, "{what}");
            assert_eq!(m.action, r.action, "{what}");
            assert_eq!(m.action_enabled, r.action_enabled, "{what}");
            assert_eq!(m.open_webui_enabled, r.connected, "{what}");
            assert_eq!(m.verify_enabled, r.connected, "{what}");
            assert_eq!(m.tooltip, format!("Torrent VPN — {}", r.status), "{what}");
            assert_eq!(m.title, None, "{what}: the speed title is off by default");
            if r.snapshot.state != State::Protected {
                assert_eq!(m.speed_line, NO_SPEEDS, "{what}");
            }
        }
    }

    #[test]
    fn the_labels_are_the_issue_s() {
        assert_eq!(Action::Connect.text(), "Connect");
        assert_eq!(Action::Disconnect.text(), "Disconnect");
        assert_eq!(Action::Cancel.text(), "Cancel");
        assert_eq!(
            ConnectStep::WaitingForTunnel.label(),
            "Waiting for the tunnel"
        );
        for (icon, name) in [
            (TrayIcon::Protected, "protected"),
            (TrayIcon::Connecting, "connecting"),
            (TrayIcon::Disconnected, "disconnected"),
            (TrayIcon::KillSwitch, "killswitch"),
            (TrayIcon::Leak, "leak"),
            (TrayIcon::Error, "error"),
            (TrayIcon::DockerDown, "docker-down"),
        ] {
            assert_eq!(icon.name(), name);
        }
    }

    #[test]
    fn protected_shows_health_port_and_speeds() {
        let prefs = Prefs {
            launch_at_login: true,
            installed_app: true,
            speed_in_title: true,
            ..Prefs::default()
        };
        let m = menu_model(&protected(), &IDLE, &prefs, None, NOW);
        assert_eq!(m.status_line, "Protected · 10.222.0.3 · Labland");
        assert_eq!(m.health_line, "Gateway healthy · port 41000 forwarded");
        assert_eq!(m.speed_line, "↓ 2.4 MB/s  ↑ 310 KB/s · 3 active");
        assert_eq!(m.title.as_deref(), Some("↓2.4M"));
        assert!(m.open_webui_enabled && m.verify_enabled && m.launch_at_login);
        assert_eq!(m.tooltip, "Torrent VPN — Protected · 10.222.0.3 · Labland");
    }

    #[test]
    fn protected_without_port_or_speeds_or_country() {
        let mut s = protected_bare();
        if let Some(v) = s.vpn.as_mut() {
            v.value.country = None;
        }
        let prefs = Prefs {
            launch_at_login: false,
            installed_app: true,
            speed_in_title: true,
            ..Prefs::default()
        };
        let m = menu_model(&s, &IDLE, &prefs, None, NOW);
        assert_eq!(m.status_line, "Protected · 10.222.0.3");
        assert_eq!(m.health_line, "Gateway healthy · no forwarded port");
        assert_eq!(m.speed_line, NO_SPEEDS);
        assert_eq!(m.title, None);
        s.vpn = None;
        assert_eq!(model(&s).status_line, "Protected");
    }

    #[test]
    fn docker_health_when_known_wins() {
        let mut s = protected();
        if let Some(h) = s.gateway_health.as_mut() {
            h.value = "unhealthy".into();
        }
        assert_eq!(
            model(&s).health_line,
            "Gateway unhealthy · port 41000 forwarded"
        );
        s.gateway_health = None;
        assert_eq!(
            model(&s).health_line,
            "Gateway healthy · port 41000 forwarded"
        );
    }

    #[test]
    fn speeds_show_only_while_protected() {
        let mut s = protected();
        s.state = State::KillSwitchEngaged;
        let prefs = Prefs {
            launch_at_login: false,
            installed_app: true,
            speed_in_title: true,
            ..Prefs::default()
        };
        let m = menu_model(&s, &IDLE, &prefs, None, NOW);
        assert_eq!(m.speed_line, NO_SPEEDS);
        assert_eq!(m.title, None);
    }

    #[test]
    fn the_model_changes_with_time_only_when_stale_at_says() {
        let prefs = Prefs {
            launch_at_login: false,
            installed_app: true,
            speed_in_title: true,
            ..Prefs::default()
        };
        let s = protected();
        let at = stale_at(&s).expect("a reported snapshot turns stale");
        let fresh = menu_model(&s, &IDLE, &prefs, None, s.at_ms);
        assert_eq!(menu_model(&s, &IDLE, &prefs, None, at - 1), fresh);
        assert_eq!(
            menu_model(&s, &IDLE, &prefs, None, at).status_line,
            "Status unknown"
        );
        let unknown = Snapshot::new(State::Disconnected, 0);
        assert_eq!(stale_at(&unknown), None);
        assert_eq!(
            menu_model(&unknown, &IDLE, &prefs, None, NOW).status_line,
            "Status unknown"
        );
    }

    #[test]
    fn a_stale_snapshot_shows_status_unknown_and_no_numbers() {
        let prefs = Prefs {
            launch_at_login: false,
            installed_app: true,
            speed_in_title: true,
            ..Prefs::default()
        };
        let mut s = protected();
        s.at_ms = NOW - STALE_AFTER_MS;
        assert_eq!(
            menu_model(&s, &IDLE, &prefs, None, NOW).status_line,
            "Protected · 10.222.0.3 · Labland",
            "exactly 5 s old is still fresh"
        );
        for state in [
            State::Protected,
            State::KillSwitchEngaged,
            State::Connecting(ConnectStep::Hardening),
            State::Disconnected,
            State::DockerUnavailable,
        ] {
            s.state = state;
            s.at_ms = NOW - STALE_AFTER_MS - 1;
            let m = menu_model(&s, &IDLE, &prefs, None, NOW);
            let what = format!("{:?}", s.state);
            assert_eq!(m.status_line, "Status unknown", "{what}");
            assert_eq!(m.icon, TrayIcon::Error, "{what}");
            assert_eq!(m.speed_line, NO_SPEEDS, "{what}");
            assert_eq!(m.health_line, "Waiting for the monitor…", "{what}");
            assert_eq!(m.title, None, "{what}");
            assert!(!m.action_enabled, "{what}");
            assert!(!m.open_webui_enabled && !m.verify_enabled, "{what}");
            let all = serde_json::to_string(&m).unwrap_or_default();
            assert!(!all.contains("10.222"), "{what}: {all}");
            assert!(!all.contains("41000"), "{what}: {all}");
            assert!(!all.contains("MB/s"), "{what}: {all}");
        }
    }

    #[test]
    fn busy_disables_what_is_running() {
        let disconnecting = Busy {
            disconnecting: true,
            ..IDLE
        };
        let prefs = Prefs {
            launch_at_login: false,
            installed_app: true,
            speed_in_title: true,
            ..Prefs::default()
        };
        let m = menu_model(&protected(), &disconnecting, &prefs, None, NOW);
        assert_eq!(m.action, Action::Disconnecting);
        assert_eq!(m.action.text(), "Disconnecting…");
        assert_eq!(m.status_line, "Disconnecting…");
        assert_eq!(m.icon, TrayIcon::Connecting);
        assert_eq!(m.health_line, "Stopping qBittorrent, then the gateway");
        assert_eq!(m.speed_line, NO_SPEEDS);
        assert_eq!(m.title, None);
        assert!(!m.action_enabled && !m.verify_enabled && !m.open_webui_enabled);
        let m = menu_model(
            &snap(State::Connecting(ConnectStep::Images)),
            &disconnecting,
            &Prefs::default(),
            None,
            NOW,
        );
        assert_eq!(m.action, Action::Disconnecting, "a cancel in progress");
        let verifying = Busy {
            verifying: true,
            ..IDLE
        };
        let m = menu_model(&protected(), &verifying, &Prefs::default(), None, NOW);
        assert_eq!(m.verify_text, "Verifying Protection…");
        assert!(!m.verify_enabled);
        assert_eq!(m.action, Action::Disconnect);
        assert!(m.action_enabled);
        assert!(m.back_up_enabled);
        let backing_up = Busy {
            backing_up: true,
            ..IDLE
        };
        let m = menu_model(&protected(), &backing_up, &Prefs::default(), None, NOW);
        assert!(!m.back_up_enabled, "one backup at a time");
        assert!(m.action_enabled && m.verify_enabled);
    }

    #[test]
    fn the_update_item_says_what_it_will_do() {
        let cases = [
            (None, false, "Check for Updates…", true),
            (None, true, "Checking for Updates…", false),
            (Some("0.2.0"), false, "Install Update 0.2.0…", true),
            (Some("0.2.0"), true, "Installing Update 0.2.0…", false),
        ];
        for (version, updating, text, enabled) in cases {
            let prefs = Prefs {
                update_version: version.map(str::to_owned),
                updating,
                ..Prefs::default()
            };
            let m = menu_model(&protected(), &IDLE, &prefs, None, NOW);
            assert_eq!((m.update_text.as_str(), m.update_enabled), (text, enabled));
        }
    }

    #[test]
    fn the_speed_title_can_be_turned_off() {
        let m = menu_model(&protected(), &IDLE, &Prefs::default(), None, NOW);
        assert_eq!(m.title, None);
        assert_eq!(m.speed_line, "↓ 2.4 MB/s  ↑ 310 KB/s · 3 active");
    }

    #[test]
    fn rates() {
        assert_eq!(human_rate(0), "0 B/s");
        assert_eq!(human_rate(999), "999 B/s");
        assert_eq!(human_rate(310_000), "310 KB/s");
        assert_eq!(human_rate(2_400_000), "2.4 MB/s");
        assert_eq!(human_rate(3_200_000_000), "3.2 GB/s");
        assert_eq!(short_rate(0), "0");
        assert_eq!(short_rate(310_000), "310K");
        assert_eq!(short_rate(2_400_000), "2.4M");
    }

    #[test]
    fn a_failed_check_shows_while_protected() {
        use tvpn_core::verify::{Check, Report};
        let check = |name: &'static str, ok| Check {
            name: name.into(),
            ok,
            detail: String::new(),
            private: Vec::new(),
        };
        let passed = Report::from_checks(vec![check("the tunnel is up", true)], NOW);
        let m = menu_model(&protected(), &IDLE, &Prefs::default(), Some(&passed), NOW);
        assert_eq!(m.status_line, "Protected · 10.222.0.3 · Labland");
        assert_eq!(m.verify_text, "Verify Protection… (last: passed)");
        assert!(m.kill_switch_test_enabled);
        let failed = Report::from_checks(
            vec![
                check("the tunnel is up", true),
                check("DNS goes only through the tunnel", false),
            ],
            NOW,
        );
        let m = menu_model(&protected(), &IDLE, &Prefs::default(), Some(&failed), NOW);
        assert_eq!(
            m.status_line,
            "Check failed: DNS goes only through the tunnel"
        );
        assert_eq!(m.icon, TrayIcon::Error);
        assert_eq!(m.verify_text, "Verify Protection… (last: FAILED)");
        assert_eq!(m.action, Action::Disconnect);
        // Not connected: the state speaks for itself.
        let m = menu_model(
            &snap(State::Disconnected),
            &IDLE,
            &Prefs::default(),
            Some(&failed),
            NOW,
        );
        assert_eq!(m.status_line, "Disconnected");
        assert!(!m.kill_switch_test_enabled);
    }
}
