//! The liveness probe: one long-lived shell in the gateway (one `docker
//! exec` for as long as the gateway runs) that pings through the tunnel at
//! a slow, steady beat and, when the monitor asks on its standard input,
//! sends a burst of quick probes through the tunnel or probes the block
//! outside it. Nothing is spawned per probe, and the engine carries one
//! short line per beat.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;

use super::driver::{classify_block_probe, running_gateway, verify_block};
use super::machine::{BlockProbe, Signal, BURST_GAP_MS, BURST_PROBES};
use crate::stack::{engine, StackManager};

/// How long a block probe in the session waits for an answer from outside
/// the tunnel before its verdict is "blocked". Short, so that a verdict
/// probed ahead at a missed beat is there when the silence becomes a drop;
/// the ping itself waits a second, and an answer it gets later still turns
/// the verdict into a leak.
pub const BLOCK_WAIT: Duration = Duration::from_millis(200);

/// The gateway's interface outside the tunnel.
pub const OUTSIDE_INTERFACE: &str = "eth0";

/// What the monitor asks of the probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeCommand {
    /// Quick probes through the tunnel: a beat was missed.
    Burst,
    /// Probe outside the tunnel; the verdict comes as [`Signal::Block`].
    Block,
}

/// The probe, for `sh -c` with the target, the tunnel interface, the beat
/// (seconds), the burst's size, the gap between its pings (seconds) and the
/// interface outside the tunnel as `$1`..`$6`. POSIX shell: Debian's dash
/// and the busybox ash of gluetun's Alpine image, whose `ping` takes a
/// fractional `-i` (busybox `networking/ping.c`: `parse_duration_str`) and
/// flushes each reply (`fflush_all`).
///
/// - The steady ping prints `restart` before each start: it is started
///   again at its deadline (`-w 10`: a ping stays bound to the tunnel
///   interface it began with, and a VPN restart makes a new one) and a
///   moment after it fails.
/// - `b` on standard input: a burst of `$4` pings `$5` apart, 16-byte
///   payloads, so their replies read `24 bytes from`, the beat's `64 bytes`.
/// - `k`: one ping out of `$6` (`eth0`), outside the tunnel; each line it prints
///   comes back as `kN LINE` (N counts the `k`s from 1), and `kN =` ends it.
/// - The end of standard input (the monitor stopped or lost the engine)
///   stops the steady ping and the shell, which waits for its children:
///   none is left for the gateway's PID 1 to reap (gluetun's does not).
pub const SCRIPT: &str = r#"t=$1 i=$2 beat=$3 burst=$4 gap=$5 out=$6
( trap 'kill $p 2>/dev/null; wait $p; exit 0' TERM
  while :; do
    echo restart
    ping -n -w 10 -i "$beat" -I "$i" "$t" & p=$!
    wait $p || sleep 0.5
  done ) &
steady=$!
n=0
while read -r c; do
  case $c in
    b) ping -n -c "$burst" -i "$gap" -s 16 -W 1 -I "$i" "$t" & ;;
    k) n=$((n+1))
       { ping -n -c 1 -W 1 -I "$out" "$t" 2>&1; echo =; } |
         while IFS= read -r l; do echo "k$n $l"; done & ;;
  esac
done
kill $steady
wait
"#;

/// What a line from the probe says.
#[derive(Debug, PartialEq, Eq)]
pub enum ProbeLine<'a> {
    /// The steady ping's reply, with its round trip (µs) when it says.
    Beat(Option<u32>),
    /// A burst's reply.
    Alive,
    /// The steady ping started again.
    Restarted,
    /// A line of block probe number N (`"="`: its end).
    Block(u64, &'a str),
    /// The gateway has no `ping` (or no shell): nothing to probe with.
    NoPing,
    /// Headers, statistics, a failed send: nothing to act on (the steady
    /// ping starts again by itself).
    Other,
}

pub fn probe_line(line: &str) -> ProbeLine<'_> {
    let line = line.trim_end_matches(['\r', '\n']);
    if let Some(rest) = line.strip_prefix('k') {
        if let Some((n, text)) = rest.split_once(' ') {
            if let Ok(n) = n.parse() {
                return ProbeLine::Block(n, text);
            }
        }
    }
    if line == "restart" {
        ProbeLine::Restarted
    } else if line.contains("bytes from") {
        if line.starts_with("24 bytes") {
            ProbeLine::Alive
        } else {
            ProbeLine::Beat(round_trip_us(line))
        }
    } else if line.contains("not found") {
        ProbeLine::NoPing
    } else {
        ProbeLine::Other
    }
}

/// The `time=11.262 ms` of a reply, in µs.
fn round_trip_us(line: &str) -> Option<u32> {
    let rest = &line[line.find("time=")? + 5..];
    let ms: f64 = rest.split_whitespace().next()?.parse().ok()?;
    (ms.is_finite() && ms >= 0.0).then(|| (ms * 1000.0).round().min(f64::from(u32::MAX)) as u32)
}

/// A block probe on its way: its number, what it printed, when it counts as
/// sent and not answered.
struct Pending {
    n: u64,
    text: String,
    due: Instant,
}

impl Pending {
    /// The verdict once a line makes it certain: an answer, or the
    /// firewall refusing to send.
    fn decided(&self) -> bool {
        self.text.contains("bytes from") || self.text.contains("Operation not permitted")
    }
}

/// Run the probe in the running gateway, again whenever it ends, the
/// gateway changes or `reprobe` is notified (a VPN restart in the gateway's
/// log). Between sessions a block probe runs as a `docker exec` of its own.
pub async fn liveness_probe(
    manager: Arc<StackManager>,
    tx: mpsc::UnboundedSender<Signal>,
    target: IpAddr,
    beat: Duration,
    reprobe: Arc<Notify>,
    mut commands: mpsc::UnboundedReceiver<ProbeCommand>,
) {
    let target_text = target.to_string();
    let beat_text = format!("{:.3}", beat.as_secs_f64());
    let burst_text = BURST_PROBES.to_string();
    let gap_text = format!("{:.3}", BURST_GAP_MS as f64 / 1000.0);
    let interface = crate::stack::spec::VPN_INTERFACE;
    loop {
        let mut pause = Duration::from_millis(500);
        if let Some(gateway) = running_gateway(&manager).await {
            let cmd = [
                "sh",
                "-c",
                SCRIPT,
                "sh",
                &target_text,
                interface,
                &beat_text,
                &burst_text,
                &gap_text,
                OUTSIDE_INTERFACE,
            ];
            match engine::exec_attached(manager.docker(), &gateway, &cmd).await {
                Ok(attached) => {
                    let _ = tx.send(Signal::ProbeStarted);
                    let ended = session(attached, &tx, &target_text, &reprobe, &mut commands).await;
                    match ended {
                        Ended::Stopped => return,
                        Ended::NoPing => {
                            let _ = tx.send(Signal::ProbeUnavailable(
                                "the gateway image has no ping".to_owned(),
                            ));
                            pause = Duration::from_secs(30);
                        }
                        Ended::Again => pause = Duration::from_millis(100),
                    }
                }
                Err(e) => tracing::debug!(error = %e, "liveness probe"),
            }
        }
        // No session: a block probe the monitor asks for runs on its own.
        let until = Instant::now() + pause;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(until) => break,
                command = commands.recv() => match command {
                    None => return,
                    Some(ProbeCommand::Block) => {
                        let verdict = verify_block(&manager, target).await;
                        let _ = tx.send(Signal::Block(verdict));
                    }
                    Some(ProbeCommand::Burst) => {}
                },
            }
        }
    }
}

enum Ended {
    /// Start another session.
    Again,
    /// The gateway cannot be probed.
    NoPing,
    /// The monitor stopped.
    Stopped,
}

async fn session(
    attached: engine::Attached,
    tx: &mpsc::UnboundedSender<Signal>,
    target: &str,
    reprobe: &Notify,
    commands: &mut mpsc::UnboundedReceiver<ProbeCommand>,
) -> Ended {
    let engine::Attached {
        mut output,
        mut input,
    } = attached;
    let mut sent = 0_u64;
    let mut pending: Option<Pending> = None;
    let mut partial = String::new();
    loop {
        let due = pending.as_ref().map(|p| p.due);
        tokio::select! {
            chunk = output.next() => {
                let Some(Ok(chunk)) = chunk else { return Ended::Again };
                partial.push_str(&chunk.to_string());
                while let Some(end) = partial.find('\n') {
                    let line: String = partial.drain(..=end).collect();
                    tracing::trace!(line = line.trim_end(), "probe");
                    match probe_line(&line) {
                        ProbeLine::Beat(rtt) => { let _ = tx.send(Signal::Beat(rtt)); }
                        ProbeLine::Alive => { let _ = tx.send(Signal::Alive); }
                        ProbeLine::Restarted => { let _ = tx.send(Signal::BeatRestarted); }
                        ProbeLine::NoPing => return Ended::NoPing,
                        ProbeLine::Other => {}
                        ProbeLine::Block(n, text) => {
                            let Some(p) = pending.as_mut().filter(|p| p.n == n) else {
                                // An answer after its verdict: a leak all the same.
                                if text.contains("bytes from") {
                                    let verdict = classify_block_probe(text, target, false);
                                    let _ = tx.send(Signal::Block(verdict));
                                }
                                continue;
                            };
                            let ended = text == "=";
                            if !ended {
                                p.text.push_str(text);
                                p.text.push('\n');
                            }
                            if ended || p.decided() {
                                let verdict = classify_block_probe(&p.text, target, false);
                                pending = None;
                                let _ = tx.send(Signal::Block(verdict));
                            }
                        }
                    }
                }
            }
            () = reprobe.notified() => return Ended::Again,
            () = async { tokio::time::sleep_until(due.unwrap_or_else(Instant::now)).await }, if due.is_some() => {
                // Sent and not answered in time: blocked.
                if let Some(p) = pending.take() {
                    let verdict = classify_block_probe(&p.text, target, true);
                    let _ = tx.send(Signal::Block(verdict));
                }
            }
            command = commands.recv() => {
                tracing::trace!(?command, "probe");
                let line: &[u8] = match command {
                    None => return Ended::Stopped,
                    Some(ProbeCommand::Burst) => b"b\n",
                    Some(ProbeCommand::Block) => {
                        sent += 1;
                        pending = Some(Pending {
                            n: sent,
                            text: String::new(),
                            due: Instant::now() + BLOCK_WAIT,
                        });
                        b"k\n"
                    }
                };
                if input.write_all(line).await.is_err() || input.flush().await.is_err() {
                    if pending.take().is_some() {
                        let _ = tx.send(Signal::Block(BlockProbe::Inconclusive(
                            "the probe in the gateway ended".to_owned(),
                        )));
                    }
                    return Ended::Again;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    use std::time::Instant as StdInstant;

    /// Run the script on loopback with `shell` and the `ping` first in
    /// `path`: a fast beat, then `b` and `k` on its standard input, then its
    /// end. Returns the lines it printed and whether it exited by itself.
    fn run_script(shell: &[&str], path: &str) -> (Vec<String>, bool) {
        let mut child = Command::new(shell[0])
            .args(&shell[1..])
            .args([
                "-c",
                SCRIPT,
                "sh",
                "127.0.0.1",
                "lo",
                "0.1",
                "4",
                "0.010",
                "lo",
            ])
            .env("PATH", path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the shell starts");
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        });
        let mut stdin = child.stdin.take().unwrap();
        std::thread::sleep(Duration::from_millis(500));
        stdin.write_all(b"b\n").unwrap();
        std::thread::sleep(Duration::from_millis(300));
        stdin.write_all(b"k\n").unwrap();
        std::thread::sleep(Duration::from_millis(500));
        drop(stdin);
        let t0 = StdInstant::now();
        let mut exited = false;
        while t0.elapsed() < Duration::from_secs(3) {
            if child.try_wait().unwrap().is_some() {
                exited = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if !exited {
            let _ = child.kill();
        }
        let _ = child.wait();
        (reader.join().unwrap(), exited)
    }

    /// The script under Debian's dash with iputils' ping (the lab's
    /// gateway) and under busybox ash with busybox ping (gluetun's Alpine
    /// image), on loopback: beats with their round trips, a burst of four,
    /// a block probe that gets an answer (so a leak) and its end, and a
    /// shell that ends with its standard input, leaving no child behind.
    #[test]
    #[ignore = "needs busybox, iputils-ping and raw ICMP on loopback (root): scripts/test"]
    fn the_script_runs_under_dash_and_busybox() {
        let busybox = Command::new("sh")
            .args(["-c", "command -v busybox"])
            .output()
            .expect("sh");
        let busybox = String::from_utf8_lossy(&busybox.stdout).trim().to_owned();
        assert!(!busybox.is_empty(), "busybox is not installed");
        let bin = std::env::temp_dir().join(format!("tvpn-probe-busybox-{}", std::process::id()));
        std::fs::create_dir_all(&bin).unwrap();
        for applet in ["ping", "sleep"] {
            let link = bin.join(applet);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&busybox, &link).unwrap();
        }
        let system = std::env::var("PATH").unwrap_or_default();
        let busybox_path = format!("{}:{system}", bin.display());
        for (name, shell, path) in [
            ("dash + iputils", vec!["/bin/sh"], system.as_str()),
            (
                "busybox",
                vec![busybox.as_str(), "sh"],
                busybox_path.as_str(),
            ),
        ] {
            let (lines, exited) = run_script(&shell, path);
            let parsed: Vec<ProbeLine<'_>> = lines.iter().map(|l| probe_line(l)).collect();
            let beats = parsed
                .iter()
                .filter(|l| matches!(l, ProbeLine::Beat(Some(_))))
                .count();
            let burst = parsed.iter().filter(|l| **l == ProbeLine::Alive).count();
            let block: String = parsed
                .iter()
                .filter_map(|l| match l {
                    ProbeLine::Block(1, text) => Some(format!("{text}\n")),
                    _ => None,
                })
                .collect();
            assert!(beats >= 8, "{name}: {beats} beats in {lines:?}");
            assert_eq!(burst, 4, "{name}: {lines:?}");
            assert_eq!(
                parsed.first(),
                Some(&ProbeLine::Restarted),
                "{name}: {lines:?}"
            );
            assert!(block.ends_with("=\n"), "{name}: {block}");
            assert!(
                matches!(
                    classify_block_probe(&block, "127.0.0.1", false),
                    BlockProbe::Leaked(_)
                ),
                "{name}: an answered probe is a leak: {block}"
            );
            assert!(exited, "{name}: the shell outlived its standard input");
        }
        let _ = std::fs::remove_dir_all(&bin);
    }

    #[test]
    fn probe_lines() {
        // iputils (the lab) and busybox (gluetun's Alpine).
        assert_eq!(
            probe_line("64 bytes from 1.1.1.1: icmp_seq=3 ttl=57 time=11.2 ms\n"),
            ProbeLine::Beat(Some(11_200))
        );
        assert_eq!(
            probe_line("64 bytes from 1.1.1.1: seq=2 ttl=57 time=0.262 ms"),
            ProbeLine::Beat(Some(262))
        );
        assert_eq!(
            probe_line("64 bytes from 1.1.1.1: icmp_seq=3 ttl=57"),
            ProbeLine::Beat(None)
        );
        for burst in [
            "24 bytes from 1.1.1.1: icmp_seq=1 ttl=57 time=11.2 ms",
            "24 bytes from 1.1.1.1: seq=0 ttl=57 time=11.262 ms",
        ] {
            assert_eq!(probe_line(burst), ProbeLine::Alive, "{burst}");
        }
        assert_eq!(probe_line("restart\n"), ProbeLine::Restarted);
        assert_eq!(
            probe_line("k12 ping: sendmsg: Operation not permitted"),
            ProbeLine::Block(12, "ping: sendmsg: Operation not permitted")
        );
        assert_eq!(probe_line("k3 ="), ProbeLine::Block(3, "="));
        for missing in [
            "sh: 1: ping: not found",
            "sh: ping: not found",
            "OCI runtime exec failed: exec: \"sh\": executable file not found in $PATH",
        ] {
            assert_eq!(probe_line(missing), ProbeLine::NoPing, "{missing}");
        }
        for other in [
            "PING 1.1.1.1 (1.1.1.1) from 10.2.0.2 tun0: 56(84) bytes of data.",
            "ping: sendmsg: No such device",
            "--- 1.1.1.1 ping statistics ---",
            "kernel says hi",
        ] {
            assert_eq!(probe_line(other), ProbeLine::Other, "{other}");
        }
    }
}
