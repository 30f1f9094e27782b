//! `tvpn watch --json` in the background, and the numbers tests read off
//! it.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::profile::Profile;
use crate::wait::wait_for;

/// `tvpn watch --json` in the background, its lines collected.
pub struct Watch {
    child: std::process::Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Watch {
    pub fn start(p: &Profile) -> Self {
        let mut child = p
            .command(&["watch", "--json"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                eprintln!("watch: {line}");
                sink.lock().unwrap().push(line);
            }
        });
        Self { child, lines }
    }

    /// Every line so far.
    pub fn text(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// The process ID (for its memory).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process still runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Every JSON line so far.
    pub fn values(&self) -> Vec<serde_json::Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Events of `kind` (`kill_switch_engaged`, …) after line `from`.
    pub fn events(&self, kind: &str, from: usize) -> Vec<serde_json::Value> {
        self.values()
            .into_iter()
            .skip(from)
            .filter(|v| v["type"] == "event" && v["kind"] == kind)
            .collect()
    }

    /// How many lines so far.
    pub fn len(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    /// Whether no line came yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Wait for the first event of `kind` after line `from`.
    pub async fn wait_event(
        &self,
        kind: &str,
        from: usize,
        timeout: Duration,
    ) -> serde_json::Value {
        let what = format!("a {kind} event");
        wait_for(&what, timeout, async || {
            self.events(kind, from).into_iter().next()
        })
        .await
    }

    /// Wait for a snapshot in `state` after line `from`.
    pub async fn wait_state(
        &self,
        state: &str,
        from: usize,
        timeout: Duration,
    ) -> serde_json::Value {
        let what = format!("state {state}");
        wait_for(&what, timeout, async || {
            self.values()
                .into_iter()
                .skip(from)
                .find(|v| v["type"] == "snapshot" && v["snapshot"]["state"]["state"] == state)
        })
        .await
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident memory of a process, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    proc_kib(pid, "status", "VmRSS:")
}

/// Private dirty memory of a process (`Private_Dirty` of smaps_rollup), KiB.
pub fn private_dirty_kib(pid: u32) -> u64 {
    proc_kib(pid, "smaps_rollup", "Private_Dirty:")
}

/// The KiB figure on the line of `/proc/PID/FILE` that starts with `key`;
/// 0 when there is none.
fn proc_kib(pid: u32, file: &str, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// Milliseconds since the epoch (the clock of the monitor's timestamps).
pub fn now_ms() -> u64 {
    tvpn_core::monitor::now_ms()
}
