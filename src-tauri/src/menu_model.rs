//! The tray menu as plain data: a pure function of the status snapshot and
//! the user's preferences. The tray adapter only applies it.

use tvpn_core::monitor::{Snapshot, State};

/// A snapshot older than this shows "status unknown", never stale numbers.
pub const STALE_AFTER_MS: u64 = 5_000;

/// The icon to show; names match `icons/tray/<name>.png`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Connect,
    Disconnect,
    Cancel,
    /// Not configured: the item opens onboarding (with the demo offer).
    SetUp,
}

impl Action {
    pub fn text(self) -> &'static str {
        match self {
            Action::Connect => "Connect",
            Action::Disconnect => "Disconnect",
            Action::Cancel => "Cancel",
            Action::SetUp => "Set Up Torrent VPN…",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prefs {
    pub launch_at_login: bool,
    /// macOS: show the download speed next to the icon.
    pub speed_in_title: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuModel {
    pub icon: TrayIcon,
    pub tooltip: String,
    /// Text next to the icon (macOS menu bar), if any.
    pub title: Option<String>,
    pub status_line: String,
    pub health_line: String,
    pub speed_line: String,
    pub action: Action,
    pub action_enabled: bool,
    pub open_webui_enabled: bool,
    pub verify_enabled: bool,
    pub launch_at_login: bool,
}

pub fn menu_model(s: &Snapshot, prefs: &Prefs, now_ms: u64) -> MenuModel {
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
            State::Error(why) => (TrayIcon::Error, format!("Error: {why}"), Action::Connect),
        }
    };
    let live = !stale;
    let connected = live
        && matches!(
            s.state,
            State::Protected | State::KillSwitchEngaged | State::Healing
        );
    let health_line = if live { health_line(s) } else { String::new() };
    let speed_line = match (&s.transfer, live && s.state == State::Protected) {
        (Some(t), true) => format!(
            "↓ {}  ↑ {} · {} active",
            human_rate(t.value.down_bps),
            human_rate(t.value.up_bps),
            t.value.active_torrents
        ),
        _ => "↓ –  ↑ –".to_owned(),
    };
    let title = match (
        &s.transfer,
        prefs.speed_in_title && live && s.state == State::Protected,
    ) {
        (Some(t), true) => Some(format!("↓{}", short_rate(t.value.down_bps))),
        _ => None,
    };
    MenuModel {
        icon,
        tooltip: format!("Torrent VPN — {status_line}"),
        title,
        status_line,
        health_line,
        speed_line,
        action,
        action_enabled: !matches!(s.state, State::DockerUnavailable) || stale,
        open_webui_enabled: connected,
        verify_enabled: connected,
        launch_at_login: prefs.launch_at_login,
    }
}

fn protected_line(s: &Snapshot) -> String {
    match &s.vpn {
        Some(v) => {
            let place = v.value.country.as_deref().unwrap_or("unknown country");
            format!("Protected · {} · {place}", v.value.public_ip)
        }
        None => "Protected".to_owned(),
    }
}

fn health_line(s: &Snapshot) -> String {
    let health = s.gateway_health.as_ref().map(|h| h.value.as_str());
    let gateway = match health {
        Some("healthy") => "Gateway healthy",
        Some("unhealthy") => "Gateway unhealthy",
        Some("starting") => "Gateway starting",
        _ => "Gateway health unknown",
    };
    match &s.forwarded_port {
        Some(p) if p.value != 0 => format!("{gateway} · port {} forwarded", p.value),
        _ => gateway.to_owned(),
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

    fn snap(state: State) -> Snapshot {
        Snapshot::new(state, NOW - 1_000)
    }

    fn protected() -> Snapshot {
        let mut s = snap(State::Protected);
        s.vpn = Some(Timed {
            value: VpnInfo {
                public_ip: "185.65.134.7".into(),
                country: Some("Sweden".into()),
                city: None,
            },
            at_ms: NOW,
        });
        s.gateway_health = Some(Timed {
            value: "healthy".into(),
            at_ms: NOW,
        });
        s.forwarded_port = Some(Timed {
            value: 51413,
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

    #[test]
    fn every_state_has_its_icon_line_and_action() {
        let prefs = Prefs::default();
        let table: Vec<(Snapshot, TrayIcon, &str, Action)> = vec![
            (
                snap(State::DockerUnavailable),
                TrayIcon::DockerDown,
                "Docker is not running",
                Action::Connect,
            ),
            (
                snap(State::NotConfigured),
                TrayIcon::Disconnected,
                "Not set up yet",
                Action::SetUp,
            ),
            (
                snap(State::Disconnected),
                TrayIcon::Disconnected,
                "Disconnected",
                Action::Connect,
            ),
            (
                snap(State::Connecting(ConnectStep::WaitingForTunnel)),
                TrayIcon::Connecting,
                "Connecting: Waiting for the tunnel…",
                Action::Cancel,
            ),
            (
                protected(),
                TrayIcon::Protected,
                "Protected · 185.65.134.7 · Sweden",
                Action::Disconnect,
            ),
            (
                snap(State::KillSwitchEngaged),
                TrayIcon::KillSwitch,
                "VPN dropped — torrents blocked",
                Action::Disconnect,
            ),
            (
                snap(State::Leak),
                TrayIcon::Leak,
                "LEAK — traffic outside the VPN",
                Action::Disconnect,
            ),
            (
                snap(State::Healing),
                TrayIcon::Connecting,
                "Reconnecting qBittorrent…",
                Action::Disconnect,
            ),
            (
                snap(State::Error("boom".into())),
                TrayIcon::Error,
                "Error: boom",
                Action::Connect,
            ),
        ];
        for (s, icon, line, action) in table {
            let m = menu_model(&s, &prefs, NOW);
            assert_eq!(
                (m.icon, m.status_line.as_str(), m.action),
                (icon, line, action),
                "{:?}",
                s.state
            );
            assert!(m.tooltip.contains(line));
        }
    }

    #[test]
    fn protected_shows_health_port_and_speeds() {
        let m = menu_model(
            &protected(),
            &Prefs {
                launch_at_login: true,
                speed_in_title: true,
            },
            NOW,
        );
        assert_eq!(m.health_line, "Gateway healthy · port 51413 forwarded");
        assert_eq!(m.speed_line, "↓ 2.4 MB/s  ↑ 310 KB/s · 3 active");
        assert_eq!(m.title.as_deref(), Some("↓2.4M"));
        assert!(m.open_webui_enabled && m.verify_enabled && m.launch_at_login);
    }

    #[test]
    fn a_stale_snapshot_shows_status_unknown_and_no_numbers() {
        let mut s = protected();
        s.at_ms = NOW - STALE_AFTER_MS - 1;
        let m = menu_model(
            &s,
            &Prefs {
                launch_at_login: false,
                speed_in_title: true,
            },
            NOW,
        );
        assert_eq!(m.status_line, "Status unknown");
        assert_eq!(m.speed_line, "↓ –  ↑ –");
        assert_eq!(m.health_line, "");
        assert_eq!(m.title, None);
        assert!(!m.open_webui_enabled);
        assert!(!m.status_line.contains("185.65"));
    }

    #[test]
    fn disconnected_disables_web_ui_and_verify_and_speed_title_can_be_off() {
        let m = menu_model(&snap(State::Disconnected), &Prefs::default(), NOW);
        assert!(!m.open_webui_enabled && !m.verify_enabled);
        let m = menu_model(&protected(), &Prefs::default(), NOW);
        assert_eq!(m.title, None);
    }

    #[test]
    fn docker_down_disables_the_action() {
        let m = menu_model(&snap(State::DockerUnavailable), &Prefs::default(), NOW);
        assert!(!m.action_enabled);
    }

    #[test]
    fn rates() {
        assert_eq!(human_rate(0), "0 B/s");
        assert_eq!(human_rate(999), "999 B/s");
        assert_eq!(human_rate(310_000), "310 KB/s");
        assert_eq!(human_rate(2_400_000), "2.4 MB/s");
        assert_eq!(human_rate(3_200_000_000), "3.2 GB/s");
    }
}
