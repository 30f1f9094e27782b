//! Loss and jitter on the lab VPN's tunnel for the soak: `tc qdisc add dev
//! eth0 root netem` in the VPN server's container (eth0 faces the lab's
//! internet), or, where the kernel has no netem, `impair.py`: a relay in
//! front of its WireGuard port that drops and delays each datagram both
//! ways. Dropping the guard removes either; `scripts/bench` removes both
//! again on exit, whatever happened.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use tvpn_testkit::VPN_SERVER;

/// What `tc` is told, and what the relay emulates.
pub struct Netem {
    pub loss_percent: u32,
    pub delay_ms: u32,
    pub jitter_ms: u32,
}

/// Where the relay's process ID is kept inside the VPN container.
pub const PIDFILE: &str = "/run/tvpn-bench-impair.pid";

pub struct Impairment {
    /// How it is applied, for the table.
    pub how: String,
    relay: Option<std::process::Child>,
}

fn exec(args: &[&str]) -> std::process::Output {
    Command::new("docker")
        .args(["exec", VPN_SERVER])
        .args(args)
        .output()
        .unwrap()
}

impl Impairment {
    /// Apply `n` for at most `seconds` (the relay ends by itself then).
    pub fn apply(n: &Netem, seconds: u64) -> Self {
        let (loss, delay, jitter) = (
            format!("{}%", n.loss_percent),
            format!("{}ms", n.delay_ms),
            format!("{}ms", n.jitter_ms),
        );
        let tc = exec(&[
            "tc", "qdisc", "add", "dev", "eth0", "root", "netem", "loss", &loss, "delay", &delay,
            &jitter,
        ]);
        if tc.status.success() {
            return Self {
                how: format!(
                    "tc netem loss {loss} delay {delay} {jitter} on the VPN server's eth0"
                ),
                relay: None,
            };
        }
        let why = String::from_utf8_lossy(&tc.stderr).trim().to_owned();
        let address = exec(&[
            "sh",
            "-c",
            "ip -o -4 addr show dev eth0 | awk '{ split($4, a, \"/\"); print a[1] }'",
        ]);
        let address = String::from_utf8_lossy(&address.stdout).trim().to_owned();
        let mut relay = Command::new("docker")
            .args([
                "exec",
                "-i",
                VPN_SERVER,
                "python3",
                "-u",
                "-",
                &n.loss_percent.to_string(),
            ])
            .args([
                n.delay_ms.to_string(),
                n.jitter_ms.to_string(),
                (seconds + 30).to_string(),
                address,
                PIDFILE.to_owned(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write as _;
            let mut stdin = relay.stdin.take().unwrap();
            stdin
                .write_all(include_str!("impair.py").as_bytes())
                .unwrap();
        }
        let mut line = String::new();
        BufReader::new(relay.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            "impairment on",
            "the impairment relay did not start"
        );
        Self {
            how: format!(
                "no netem in this kernel (tc: {why}): a relay on the VPN server's WireGuard port drops {loss} and delays {delay} ± {jitter} each datagram it sends, as netem on its eth0 would"
            ),
            relay: Some(relay),
        }
    }
}

/// Remove whatever impairment is on (netem, the relay), quietly.
pub fn remove() {
    let _ = exec(&["tc", "qdisc", "del", "dev", "eth0", "root"]);
    let _ = exec(&[
        "sh",
        "-c",
        &format!("[ -f {PIDFILE} ] && kill $(cat {PIDFILE}); for i in $(seq 1 30); do [ -f {PIDFILE} ] || break; sleep 0.1; done; \
             [ \"$(wg show wg0 listen-port)\" = 51820 ] || wg set wg0 listen-port 51820"),
    ]);
}

impl Drop for Impairment {
    fn drop(&mut self) {
        remove();
        if let Some(mut relay) = self.relay.take() {
            let _ = relay.wait();
        }
    }
}
