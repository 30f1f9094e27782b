//! gluetun's log lines: `<RFC3339 time> <LEVEL> [<component>] <message>`,
//! as its logger writes them (e.g. `WARN [vpn] restarting VPN because it
//! failed to pass the healthcheck: …` from `internal/vpn/tunnelup.go`,
//! `INFO [ip getter] Public IP address is …` from `publicip/loop.go`). The
//! window shows the warnings and errors as they come.

use serde::Serialize;

/// A line's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    fn parse(word: &str) -> Option<Level> {
        Some(match word {
            "DEBUG" => Level::Debug,
            "INFO" => Level::Info,
            "WARN" => Level::Warn,
            "ERROR" => Level::Error,
            _ => return None,
        })
    }
}

/// One line of the gateway's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// As gluetun wrote it (RFC 3339).
    pub time: String,
    pub level: Level,
    /// The part of gluetun that wrote it (`vpn`, `firewall`…), when named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    pub message: String,
}

impl LogLine {
    /// A line in gluetun's format; `None` for anything else (a line of a
    /// program it runs, a blank line).
    pub fn parse(line: &str) -> Option<LogLine> {
        let line = line.trim_end_matches(['\r', '\n']);
        let (time, rest) = line.split_once(' ')?;
        if !looks_like_rfc3339(time) {
            return None;
        }
        let (level, rest) = rest.split_once(' ').unwrap_or((rest, ""));
        let level = Level::parse(level)?;
        let (component, message) = match rest.strip_prefix('[').and_then(|r| r.split_once("] ")) {
            Some((component, message)) => (Some(component.to_owned()), message),
            None => (None, rest),
        };
        Some(LogLine {
            time: time.to_owned(),
            level,
            component,
            message: message.to_owned(),
        })
    }

    /// A warning or an error: what the window shows.
    pub fn is_warning(&self) -> bool {
        self.level >= Level::Warn
    }
}

fn looks_like_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gluetuns_lines_are_read_and_others_are_not() {
        let restart = LogLine::parse(
            "2025-03-01T10:00:00Z WARN [vpn] restarting VPN because it failed to pass the healthcheck: startup check: dialing: i/o timeout\n",
        )
        .unwrap();
        assert_eq!(restart.time, "2025-03-01T10:00:00Z");
        assert_eq!(restart.level, Level::Warn);
        assert_eq!(restart.component.as_deref(), Some("vpn"));
        assert!(restart.message.starts_with("restarting VPN because"));
        assert!(restart.is_warning());

        let ip = LogLine::parse(
            "2025-03-01T10:00:01+01:00 INFO [ip getter] Public IP address is 1.2.3.4 (Sweden, Stockholm, Stockholm - source: ipinfo)",
        )
        .unwrap();
        assert_eq!(ip.component.as_deref(), Some("ip getter"));
        assert!(!ip.is_warning());

        let bare = LogLine::parse("2025-03-01T10:00:02Z ERROR cannot start").unwrap();
        assert_eq!((bare.level, bare.component), (Level::Error, None));
        assert_eq!(bare.message, "cannot start");

        for other in [
            "",
            "wireguard-go: interface tun0 up",
            "2025-03-01T10:00:00Z NOTICE [x] y",
            "yesterday WARN [vpn] restarting",
        ] {
            assert_eq!(LogLine::parse(other), None, "{other:?}");
        }
    }
}
