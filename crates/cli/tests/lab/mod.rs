//! A throwaway profile of the lab's demo settings for one test: its own
//! config dir, profile, project name, ports and downloads folder, with the
//! lab's WireGuard keys in the (real) keychain. Dropping it disconnects,
//! removes its volumes and deletes its keychain items.
//!
//! Needs `scripts/lab up` and a Secret Service (scripts/test provides
//! both); fails, never skips, without them. Traffic goes only to 127.0.0.1
//! and the lab's networks.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bollard::query_parameters::{InspectContainerOptions, LogsOptionsBuilder};
use bollard::Docker;
use futures_util::StreamExt;

/// The lab VPN's exit address and the user's "real" address.
pub const EXIT_IP: &str = "10.222.0.3";
pub const REAL_IP: &str = "10.222.0.2";
pub const SEEDER: &str = "tvpn-lab-seeder";
pub const SMALL_TORRENT: &str = "http://10.222.0.20:8081/lab-small.torrent";
pub const MEDIUM_TORRENT: &str = "http://10.222.0.20:8081/lab-medium.torrent";

/// The lab has one VPN peer identity: tests that connect take this first.
pub static LAB: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn tvpn_bin() -> &'static str {
    env!("CARGO_BIN_EXE_tvpn")
}

pub async fn docker() -> Docker {
    Docker::connect_with_local_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .expect("the Docker engine answers")
}

/// `N` distinct free high ports on 127.0.0.1 (all bound at once, then
/// released, so that no two are the same).
fn free_ports<const N: usize>() -> [u16; N] {
    let mut listeners = Vec::new();
    while listeners.len() < N {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        if l.local_addr().unwrap().port() >= 20000 {
            listeners.push(l);
        }
    }
    std::array::from_fn(|i| listeners[i].local_addr().unwrap().port())
}

pub struct Profile {
    pub dir: tempfile::TempDir,
    pub downloads: tempfile::TempDir,
    pub name: String,
    pub project: String,
    pub webui_port: u16,
    pub control_port: u16,
    pub client_key: String,
    pub psk: String,
}

impl Profile {
    /// A copy of the demo profile named after `tag`, its WireGuard keys in
    /// the keychain.
    pub async fn new(tag: &str) -> Self {
        let profile = Self::without_secrets(tag).await;
        profile.set_secret("wireguard-private-key", &profile.client_key.clone());
        profile.set_secret("wireguard-preshared-key", &profile.psk.clone());
        profile
    }

    /// The same, with nothing in the keychain yet.
    pub async fn without_secrets(tag: &str) -> Self {
        let state = workspace_root().join("lab/.state");
        let demo = std::fs::read_to_string(state.join("demo-config/settings.toml"))
            .expect("lab/.state/demo-config/settings.toml: run `scripts/lab up`");
        let docker = docker().await;
        let vpn_up = docker
            .inspect_container("tvpn-lab-vpn", None::<InspectContainerOptions>)
            .await
            .ok()
            .and_then(|c| c.state)
            .and_then(|s| s.running)
            .unwrap_or(false);
        assert!(vpn_up, "the lab is not up: run `scripts/lab up`");
        let read = |p: &str| {
            std::fs::read_to_string(state.join(p))
                .unwrap()
                .trim()
                .to_owned()
        };
        let suffix = format!("{}-{}", std::process::id(), tag);
        let ports = free_ports::<2>();
        let profile = Self {
            dir: tempfile::tempdir().unwrap(),
            downloads: tempfile::tempdir().unwrap(),
            name: format!("test-{suffix}"),
            project: format!("tvpn-t{suffix}"),
            webui_port: ports[0],
            control_port: ports[1],
            client_key: read("keys/client.key"),
            psk: read("keys/psk"),
        };
        // qBittorrent runs as PUID, not as the test's user.
        std::fs::set_permissions(
            profile.downloads.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        )
        .unwrap();
        let mut settings: toml::Value = toml::from_str(&demo).unwrap();
        settings["profile"] = profile.name.clone().into();
        let stack = &mut settings["stack"];
        stack["project"] = profile.project.clone().into();
        stack["webui_port"] = i64::from(profile.webui_port).into();
        stack["control_port"] = i64::from(profile.control_port).into();
        stack["downloads_dir"] = profile.downloads.path().display().to_string().into();
        profile.write_settings(&settings);
        profile
    }

    pub fn settings_path(&self) -> PathBuf {
        self.dir.path().join("settings.toml")
    }

    pub fn settings(&self) -> toml::Value {
        toml::from_str(&std::fs::read_to_string(self.settings_path()).unwrap()).unwrap()
    }

    pub fn write_settings(&self, settings: &toml::Value) {
        std::fs::write(self.settings_path(), toml::to_string(settings).unwrap()).unwrap();
    }

    pub fn edit_settings(&self, edit: impl FnOnce(&mut toml::Value)) {
        let mut s = self.settings();
        edit(&mut s);
        self.write_settings(&s);
    }

    pub fn gateway_name(&self) -> String {
        format!("{}-gateway", self.project)
    }

    pub fn qbittorrent_name(&self) -> String {
        format!("{}-qbittorrent", self.project)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(tvpn_bin());
        c.arg("--config-dir").arg(self.dir.path()).args(args);
        c.env_remove("TVPN_CONFIG_DIR");
        c
    }

    /// Run `tvpn ARGS`; the output is echoed for the test log.
    pub fn tvpn(&self, args: &[&str]) -> Output {
        self.tvpn_env(args, &[])
    }

    pub fn tvpn_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = self.command(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        eprintln!(
            "$ tvpn {} -> {:?}\n{}{}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    pub fn set_secret(&self, kind: &str, value: &str) {
        let mut child = self
            .command(&["secrets", "set", kind])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(value.as_bytes())
            .unwrap();
        assert!(
            child.wait().unwrap().success(),
            "storing {kind} in the keychain failed (is a Secret Service running?)"
        );
    }

    /// `tvpn connect --json`, returning the result object.
    pub fn connect(&self) -> serde_json::Value {
        let out = self.tvpn(&["connect", "--json"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let last = stdout.lines().last().unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(last)
            .unwrap_or_else(|e| panic!("connect printed no JSON result ({e}): {stdout}"));
        assert!(
            out.status.success() && v["event"] == "connected",
            "connect failed: {v}"
        );
        v["result"].clone()
    }

    pub fn disconnect(&self) {
        let out = self.tvpn(&["disconnect"]);
        assert!(out.status.success(), "disconnect failed");
    }

    /// The keychain's value of a secret, through the core (same session).
    pub async fn secret(&self, kind: tvpn_core::secrets::SecretKind) -> Option<String> {
        use secrecy::ExposeSecret;
        let store = tvpn_core::secrets::KeyringStore::open().unwrap();
        let secrets = tvpn_core::secrets::Secrets::new(std::sync::Arc::new(store), &self.name);
        secrets
            .get(kind)
            .await
            .unwrap()
            .map(|s| s.expose_secret().to_owned())
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = self.command(&["disconnect"]).output();
        for kind in [
            "wireguard-private-key",
            "wireguard-preshared-key",
            "qbittorrent-password",
            "control-api-key",
        ] {
            let _ = self.command(&["secrets", "delete", kind]).output();
        }
        let _ = Command::new("docker")
            .args(["volume", "rm", "-f"])
            .arg(format!("{}_gluetun", self.project))
            .arg(format!("{}_qbittorrent-config", self.project))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The port the lab VPN's NAT-PMP server hands out (what the provider
/// forwards); 41000 after `lab up`.
pub async fn natpmp_port(docker: &Docker) -> u16 {
    let out = exec(docker, "tvpn-lab-vpn", &["lab-natpmp", "port"]).await;
    out.trim()
        .parse()
        .unwrap_or_else(|_| panic!("lab-natpmp port printed {out:?}"))
}

/// Put the NAT-PMP server back on the port `lab up` starts it with, after a
/// test that changed it.
pub async fn reset_natpmp(docker: &Docker) {
    exec(docker, "tvpn-lab-vpn", &["lab-natpmp", "set-port", "41000"]).await;
}

/// The message the gateway image of [`build_exiting_gateway`] logs before
/// it exits.
pub const EXITING_GATEWAY_ERROR: &str = "VPN settings: lab: refused at start";

/// Build a gateway image whose entrypoint logs like gluetun refusing a
/// setting (control-server noise, then `ERROR …` and `Shutdown
/// successful`) and exits 1 at once, from the lab's stand-in image.
pub fn build_exiting_gateway(image: &str) {
    let dockerfile = format!(
        "FROM tvpn-lab/gateway:latest\nENTRYPOINT [\"/bin/sh\", \"-c\", \"echo \\\"$(date -Iseconds) INFO [http server] 401 GET /v1/vpn/status\\\"; echo \\\"$(date -Iseconds) ERROR {EXITING_GATEWAY_ERROR}\\\"; echo \\\"$(date -Iseconds) INFO Shutdown successful\\\"; exit 1\"]\nHEALTHCHECK NONE\n"
    );
    docker_build(image, &dockerfile);
}

/// `docker build -t IMAGE` of a Dockerfile given as text (no context).
pub fn docker_build(image: &str, dockerfile: &str) {
    let mut child = Command::new("docker")
        .args(["build", "-q", "-t", image, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dockerfile.as_bytes())
        .unwrap();
    assert!(
        child.wait().unwrap().success(),
        "docker build of {image} failed"
    );
}

/// The clipboard of an X server of the test's own (Xvfb).
pub struct Display {
    xvfb: std::process::Child,
    pub name: String,
}

impl Display {
    /// An Xvfb on a free display number it picks itself (`-displayfd`),
    /// ready once it has printed that number.
    pub fn start() -> Self {
        let mut xvfb = Command::new("Xvfb")
            .args(["-displayfd", "1", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (scripts/test installs it)");
        let mut line = String::new();
        BufReader::new(xvfb.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let n: u32 = line.trim().parse().expect("Xvfb printed no display number");
        Self {
            xvfb,
            name: format!(":{n}"),
        }
    }

    pub fn clipboard(&self) -> Option<String> {
        let out = Command::new("xclip")
            .args(["-o", "-selection", "clipboard"])
            .env("DISPLAY", &self.name)
            .output()
            .expect("xclip (scripts/test installs it)");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        // SIGTERM: Xvfb removes its lock and socket files.
        let _ = Command::new("kill")
            .arg(self.xvfb.id().to_string())
            .status();
        let _ = self.xvfb.wait();
    }
}

/// `tvpn [extra] webui-password --copy`, then the clipboard as another
/// program sees it; the copying process is stopped afterwards. Returns the
/// clipboard's text and what the command printed.
pub fn copied_password(p: &Profile, display: &Display, extra: &[&str]) -> (String, String) {
    let mut args = extra.to_vec();
    args.extend(["webui-password", "--copy"]);
    let mut child = p
        .command(&args)
        .env("DISPLAY", &display.name)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let text = loop {
        if let Some(text) = display.clipboard().filter(|t| !t.is_empty()) {
            break text;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "tvpn webui-password --copy exited"
        );
        assert!(Instant::now() < deadline, "nothing reached the clipboard");
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(said.contains("cleared in 60 s"), "{said}");
    assert!(!said.contains(&text), "the password was printed");
    (text, said)
}

/// The state of a container, `None` when it does not exist.
pub async fn container(
    docker: &Docker,
    name: &str,
) -> Option<bollard::models::ContainerInspectResponse> {
    docker
        .inspect_container(name, None::<InspectContainerOptions>)
        .await
        .ok()
}

pub fn running(c: &Option<bollard::models::ContainerInspectResponse>) -> bool {
    c.as_ref()
        .and_then(|c| c.state.as_ref())
        .and_then(|s| s.running)
        .unwrap_or(false)
}

pub async fn logs(docker: &Docker, name: &str) -> String {
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .build();
    let mut stream = docker.logs(name, Some(options));
    let mut out = String::new();
    while let Some(Ok(chunk)) = stream.next().await {
        out.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
    }
    out
}

/// Run a command in a container; what it printed.
pub async fn exec(docker: &Docker, container: &str, cmd: &[&str]) -> String {
    tvpn_core::stack::engine::exec_text(docker, container, cmd).await
}

/// Restart the lab seeder, so that no connection left over from an earlier
/// test (same exit address and port) holds its upload slots, and wait until
/// it seeds again.
pub async fn fresh_seeder(docker: &Docker) {
    docker
        .restart_container(
            SEEDER,
            Some(
                bollard::query_parameters::RestartContainerOptionsBuilder::default()
                    .t(5)
                    .build(),
            ),
        )
        .await
        .unwrap();
    wait_for(
        "the seeder seeding again",
        Duration::from_secs(60),
        async || {
            let body = exec(
                docker,
                SEEDER,
                &[
                    "curl",
                    "-s",
                    "--max-time",
                    "2",
                    "http://127.0.0.1:8080/api/v2/torrents/info",
                ],
            )
            .await;
            let torrents: Vec<serde_json::Value> = serde_json::from_str(&body).ok()?;
            let seeding = torrents
                .iter()
                .filter(|t| matches!(t["state"].as_str(), Some("uploading" | "stalledUP")))
                .count();
            (seeding >= 2).then_some(())
        },
    )
    .await;
}

/// The addresses the lab seeder lists as peers of `hash`.
pub async fn seeder_peers(docker: &Docker, hash: &str) -> Vec<String> {
    let body = exec(
        docker,
        SEEDER,
        &[
            "curl",
            "-s",
            "--max-time",
            "3",
            &format!("http://127.0.0.1:8080/api/v2/sync/torrentPeers?hash={hash}"),
        ],
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    v["peers"]
        .as_object()
        .map(|peers| {
            peers
                .keys()
                .map(|k| {
                    k.rsplit_once(':')
                        .map_or(k.as_str(), |(ip, _)| ip)
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

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

    pub fn text(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Watch {
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

    pub fn len(&self) -> usize {
        self.lines.lock().unwrap().len()
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

/// Resident memory of a process, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// Milliseconds since the epoch.
pub fn now_ms() -> u64 {
    tvpn_core::monitor::now_ms()
}

/// Poll `check` every 200 ms until it gives `Some`, or panic after
/// `timeout` with `what`.
pub async fn wait_for<T>(
    what: &str,
    timeout: Duration,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Whether `text` contains `secret` raw or base64-encoded.
pub fn contains_secret(text: &str, secret: &str) -> bool {
    use base64_like::encode;
    text.contains(secret) || text.contains(&encode(secret.as_bytes()))
}

/// Standard base64, enough for the leak scan (no extra dependency).
mod base64_like {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

pub fn path_text(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}
