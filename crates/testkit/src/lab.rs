//! The lab (`scripts/lab build`, `scripts/lab up`): its images, names and
//! addresses, and its seeder.

use std::path::PathBuf;
use std::time::Duration;

use bollard::query_parameters::RestartContainerOptionsBuilder;
use bollard::Docker;

use crate::docker::{docker_build, exec};
use crate::wait::wait_for;

pub const QBIT_45: &str = "tvpn-lab/qbittorrent:4.5";
pub const QBIT_51: &str = "tvpn-lab/qbittorrent:5.1";
pub const GATEWAY: &str = "tvpn-lab/gateway:latest";

/// The lab's LAN network (`scripts/lab up`).
pub const LAB_LAN: &str = "tvpn-lab-lan";

/// The lab's VPN server container.
pub const VPN_SERVER: &str = "tvpn-lab-vpn";

/// The lab VPN's exit address and the user's "real" address.
pub const EXIT_IP: &str = "10.222.0.3";
pub const REAL_IP: &str = "10.222.0.2";
pub const SEEDER: &str = "tvpn-lab-seeder";
pub const SMALL_TORRENT: &str = "http://10.222.0.20:8081/lab-small.torrent";
pub const MEDIUM_TORRENT: &str = "http://10.222.0.20:8081/lab-medium.torrent";

/// The lab has one VPN peer identity: tests that connect take this first.
/// It holds across processes too (a file lock beside the lab's state), so
/// it serves alike under `cargo test` (threads) and cargo-nextest (a
/// process per test). `scripts/lib/nextest.toml` also puts these tests in
/// its `lab` group, so that one waiting here does not take a test slot.
pub static LAB: Lab = Lab {
    local: tokio::sync::Mutex::const_new(()),
};

pub struct Lab {
    local: tokio::sync::Mutex<()>,
}

/// The lab, held until dropped.
pub struct LabGuard {
    _file: std::fs::File,
    _local: tokio::sync::MutexGuard<'static, ()>,
}

impl Lab {
    pub async fn lock(&'static self) -> LabGuard {
        let local = self.local.lock().await;
        let path = workspace_root().join("lab/.state/tests.lock");
        let file = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            file.lock()
                .unwrap_or_else(|e| panic!("locking {}: {e}", path.display()));
            file
        })
        .await
        .unwrap();
        LabGuard {
            _file: file,
            _local: local,
        }
    }
}

/// The workspace's root directory (for `lab/` and `scripts/`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The message the gateway image of [`build_exiting_gateway`] logs before
/// it exits.
pub const EXITING_GATEWAY_ERROR: &str = "VPN settings: lab: refused at start";

/// Build a gateway image whose entrypoint logs like gluetun refusing a
/// setting (control-server noise, then `ERROR …` and `Shutdown
/// successful`) and exits 1 at once, from the lab's stand-in image.
pub fn build_exiting_gateway(image: &str) {
    let dockerfile = format!(
        "FROM {GATEWAY}\nENTRYPOINT [\"/bin/sh\", \"-c\", \"echo \\\"$(date -Iseconds) INFO [http server] 401 GET /v1/vpn/status\\\"; echo \\\"$(date -Iseconds) ERROR {EXITING_GATEWAY_ERROR}\\\"; echo \\\"$(date -Iseconds) INFO Shutdown successful\\\"; exit 1\"]\nHEALTHCHECK NONE\n"
    );
    docker_build(image, &dockerfile);
}

/// Restart the lab seeder, so that no connection left over from an earlier
/// test (same exit address and port) holds its upload slots, and wait until
/// it seeds again.
pub async fn fresh_seeder(docker: &Docker) {
    docker
        .restart_container(
            SEEDER,
            Some(RestartContainerOptionsBuilder::default().t(5).build()),
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
