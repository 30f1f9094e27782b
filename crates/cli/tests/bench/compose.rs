//! The seed's way to run the same stack: a compose file with the gateway
//! and qBittorrent in its namespace (`network_mode: service:gateway`),
//! qBittorrent started once the gateway is healthy (`depends_on:
//! condition: service_healthy`), on the lab images and with the
//! environment the profile gives the app's gateway (its secrets as
//! variables, as a seed's `.env` has them).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use tvpn_testkit as lab;

use lab::Profile;

pub struct Compose {
    /// `docker compose` (v2) or `docker-compose` (v1).
    program: Vec<String>,
    pub version: String,
    project: String,
    dir: tempfile::TempDir,
    _downloads: tempfile::TempDir,
}

/// The compose CLI there is: v2 (`docker compose`) or v1 (`docker-compose`).
fn program() -> Option<(Vec<String>, String)> {
    for program in [vec!["docker", "compose"], vec!["docker-compose"]] {
        let out = Command::new(program[0])
            .args(&program[1..])
            .arg("version")
            .arg("--short")
            .output();
        if let Some(out) = out.ok().filter(|o| o.status.success()) {
            let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            let program = program.iter().map(|s| (*s).to_owned()).collect();
            return Some((program, version));
        }
    }
    None
}

impl Compose {
    /// The compose file for `p`'s settings, in a temporary folder; `None`
    /// when no compose CLI is installed.
    pub fn new(p: &Profile) -> Option<Self> {
        let (program, version) = program()?;
        let settings = tvpn_core::settings::Settings::load(&p.settings_path())
            .unwrap()
            .unwrap();
        let mut gateway_env: serde_json::Map<String, serde_json::Value> =
            tvpn_core::stack::spec::gateway_env(&settings)
                .into_iter()
                .filter_map(|kv| {
                    let (k, v) = kv.split_once('=')?;
                    Some((k.to_owned(), v.into()))
                })
                // The app's control-server roles file: a seed has none.
                .filter(|(k, _)| k != "HTTP_CONTROL_SERVER_AUTH_CONFIG_FILEPATH")
                .collect();
        gateway_env.insert("WIREGUARD_PRIVATE_KEY".into(), p.client_key.clone().into());
        gateway_env.insert("WIREGUARD_PRESHARED_KEY".into(), p.psk.clone().into());
        let st = &settings.stack;
        let [webui, control] = lab::free_ports::<2>();
        let downloads = tempfile::tempdir().unwrap();
        std::fs::set_permissions(
            downloads.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        )
        .unwrap();
        let file = json!({
            "services": {
                "gateway": {
                    "image": st.gateway_image,
                    "cap_add": ["NET_ADMIN"],
                    "devices": ["/dev/net/tun:/dev/net/tun"],
                    "sysctls": {
                        "net.ipv6.conf.all.disable_ipv6": "1",
                        "net.ipv6.conf.default.disable_ipv6": "1",
                    },
                    "environment": gateway_env,
                    "ports": [
                        format!("127.0.0.1:{webui}:{}/tcp", st.webui_port),
                        format!("127.0.0.1:{control}:8000/tcp"),
                    ],
                    "networks": ["lan"],
                    "volumes": ["gluetun:/gluetun"],
                    "restart": "unless-stopped",
                },
                "qbittorrent": {
                    "image": st.qbittorrent_image,
                    "network_mode": "service:gateway",
                    "depends_on": {"gateway": {"condition": "service_healthy"}},
                    "environment": {
                        "PUID": st.puid.to_string(),
                        "PGID": st.pgid.to_string(),
                        "TZ": st.timezone,
                        "WEBUI_PORT": st.webui_port.to_string(),
                    },
                    "volumes": [
                        "qbittorrent-config:/config",
                        format!("{}:/downloads", downloads.path().display()),
                    ],
                },
            },
            "networks": {"lan": {"external": true, "name": st.network.clone().unwrap()}},
            "volumes": {"gluetun": {}, "qbittorrent-config": {}},
        });
        let dir = tempfile::tempdir().unwrap();
        // JSON is YAML: both compose versions read it as it is.
        std::fs::write(
            dir.path().join("docker-compose.yml"),
            serde_json::to_string_pretty(&file).unwrap(),
        )
        .unwrap();
        Some(Self {
            program,
            version,
            project: format!("tvpn-bench-compose-{}", std::process::id()),
            dir,
            _downloads: downloads,
        })
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("docker-compose.yml")
    }

    /// `docker compose` (or `docker-compose`) on this project and file.
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program[0]);
        cmd.args(&self.program[1..])
            .arg("-p")
            .arg(&self.project)
            .arg("-f")
            .arg(self.file());
        cmd
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        let out = self.command().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{} {}: {}",
            self.program.join(" "),
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn v2(&self) -> bool {
        self.program.len() == 2
    }

    /// `up` until the gateway is healthy and qBittorrent runs: v2's `up -d
    /// --wait`; v1's `up -d` (which starts qBittorrent once the gateway is
    /// healthy), then the same two conditions read back.
    pub async fn up(&self, docker: &bollard::Docker) -> Duration {
        let t0 = Instant::now();
        if self.v2() {
            self.run(&["up", "-d", "--wait"]);
        } else {
            self.run(&["up", "-d"]);
        }
        let gateway = format!("{}_gateway_1", self.project);
        let qbittorrent = format!("{}_qbittorrent_1", self.project);
        let names = if self.v2() {
            [
                format!("{}-gateway-1", self.project),
                format!("{}-qbittorrent-1", self.project),
            ]
        } else {
            [gateway, qbittorrent]
        };
        lab::wait_for("the compose stack", Duration::from_secs(120), async || {
            let g = lab::container(docker, &names[0]).await?;
            let healthy = g
                .state
                .as_ref()
                .and_then(|s| s.health.as_ref())
                .and_then(|h| h.status)
                .is_some_and(|s| s.to_string() == "healthy");
            let q = lab::container(docker, &names[1]).await;
            (healthy && lab::running(&q)).then_some(())
        })
        .await;
        t0.elapsed()
    }

    /// `down`, the volumes kept.
    pub fn down(&self) {
        self.run(&["down"]);
    }
}

impl Drop for Compose {
    fn drop(&mut self) {
        let _ = self.command().args(["down", "-v"]).output();
    }
}
