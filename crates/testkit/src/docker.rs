//! The Docker engine: test containers and networks removed on drop, images,
//! logs, `exec`, and free host ports to publish on.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, DeviceMapping, EndpointSettings, HostConfig,
    NetworkCreateRequest, NetworkingConfig, PortBinding,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, InspectContainerOptions, InspectNetworkOptions,
    LogsOptionsBuilder, RemoveContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::StreamExt;

use crate::wait::poll;

/// The label on every container and network a test creates.
pub const TEST_LABEL: &str = "dev.torrentvpn.test";

/// The local engine, its API version negotiated; panics when it does not
/// answer.
pub async fn docker() -> Docker {
    let docker = Docker::connect_with_local_defaults()
        .unwrap_or_else(|e| panic!("cannot reach the Docker engine: {e}"));
    docker
        .negotiate_version()
        .await
        .unwrap_or_else(|e| panic!("the Docker engine does not answer: {e}"))
}

/// Fail (never skip) when a lab image is missing; never pull it.
pub async fn require_image(docker: &Docker, image: &str) {
    if let Err(e) = docker.inspect_image(image).await {
        panic!("lab image {image} is missing ({e}): build the lab images with `scripts/lab build`");
    }
}

/// Run `cmd` with `input` on its stdin (stdout discarded); whether it
/// succeeded.
pub fn run_with_stdin(mut cmd: Command, input: &[u8]) -> bool {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait().unwrap().success()
}

/// `docker build -t IMAGE` of a Dockerfile given as text (no context).
pub fn docker_build(image: &str, dockerfile: &str) {
    let mut cmd = Command::new("docker");
    cmd.args(["build", "-q", "-t", image, "-"]);
    assert!(
        run_with_stdin(cmd, dockerfile.as_bytes()),
        "docker build of {image} failed"
    );
}

/// `N` distinct free high ports on 127.0.0.1 (all bound at once, then
/// released, so that no two are the same).
pub fn free_ports<const N: usize>() -> [u16; N] {
    let mut listeners = Vec::new();
    while listeners.len() < N {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        if l.local_addr().unwrap().port() >= 20000 {
            listeners.push(l);
        }
    }
    std::array::from_fn(|i| listeners[i].local_addr().unwrap().port())
}

/// A free high port on 127.0.0.1 (bound, then released).
pub fn free_port() -> u16 {
    free_ports::<1>()[0]
}

fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{n}-{nanos:x}", std::process::id())
}

fn labels() -> HashMap<String, String> {
    HashMap::from([(TEST_LABEL.to_owned(), "1".to_owned())])
}

/// Removes its Docker object on drop (on a thread of its own, since drop
/// cannot await).
pub struct Guard {
    kind: GuardKind,
    pub id: String,
    pub name: String,
}

enum GuardKind {
    Container,
    Network,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let id = self.id.clone();
        let is_container = matches!(self.kind, GuardKind::Container);
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let Ok(docker) = Docker::connect_with_local_defaults() else {
                    return;
                };
                let docker = docker
                    .negotiate_version()
                    .await
                    .unwrap_or_else(|_| Docker::connect_with_local_defaults().unwrap());
                if is_container {
                    let options = RemoveContainerOptionsBuilder::default()
                        .force(true)
                        .v(true)
                        .build();
                    let _ = docker.remove_container(&id, Some(options)).await;
                } else {
                    let _ = docker.remove_network(&id).await;
                }
            });
        });
        let _ = done.join();
    }
}

/// A bridge network for one test (not internal: ports are published on it).
pub async fn test_network(docker: &Docker) -> Guard {
    let name = unique("tvpn-test-net");
    let created = docker
        .create_network(NetworkCreateRequest {
            name: name.clone(),
            driver: Some("bridge".to_owned()),
            labels: Some(labels()),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("creating the test network failed: {e}"));
    Guard {
        kind: GuardKind::Network,
        id: created.id,
        name,
    }
}

/// The first IPv4 subnet of a network, e.g. `172.19.0.0/16`.
pub async fn network_subnet(docker: &Docker, network: &str) -> String {
    let info = docker
        .inspect_network(network, None::<InspectNetworkOptions>)
        .await
        .unwrap();
    info.ipam
        .and_then(|i| i.config)
        .unwrap_or_default()
        .into_iter()
        .find_map(|c| c.subnet.filter(|s| s.contains('.')))
        .expect("the network has an IPv4 subnet")
}

/// What a test container needs.
#[derive(Default)]
pub struct Spec {
    pub image: String,
    pub env: Vec<String>,
    /// `(host port on 127.0.0.1, container port)`.
    pub ports: Vec<(u16, u16)>,
    pub network: Option<String>,
    /// `container:<id>`: join another container's namespace.
    pub network_mode: Option<String>,
    pub binds: Vec<String>,
    pub gateway_privileges: bool,
}

/// Create and start a test container named after `prefix`.
pub async fn start(docker: &Docker, prefix: &str, spec: Spec) -> Guard {
    let name = unique(prefix);
    let mut port_bindings = HashMap::new();
    let mut exposed = Vec::new();
    for (host, container) in &spec.ports {
        let key = format!("{container}/tcp");
        exposed.push(key.clone());
        port_bindings.insert(
            key,
            Some(vec![PortBinding {
                host_ip: Some("127.0.0.1".to_owned()),
                host_port: Some(host.to_string()),
            }]),
        );
    }
    let mut host_config = HostConfig {
        port_bindings: Some(port_bindings),
        binds: (!spec.binds.is_empty()).then(|| spec.binds.clone()),
        network_mode: spec.network_mode.clone().or_else(|| spec.network.clone()),
        ..Default::default()
    };
    if spec.gateway_privileges {
        host_config.cap_add = Some(vec!["NET_ADMIN".to_owned()]);
        host_config.devices = Some(vec![DeviceMapping {
            path_on_host: Some("/dev/net/tun".to_owned()),
            path_in_container: Some("/dev/net/tun".to_owned()),
            cgroup_permissions: Some("rwm".to_owned()),
        }]);
        host_config.sysctls = Some(HashMap::from([
            ("net.ipv6.conf.all.disable_ipv6".to_owned(), "1".to_owned()),
            (
                "net.ipv6.conf.default.disable_ipv6".to_owned(),
                "1".to_owned(),
            ),
        ]));
    }
    let networking_config = spec.network.as_ref().map(|n| NetworkingConfig {
        endpoints_config: Some(HashMap::from([(n.clone(), EndpointSettings::default())])),
    });
    let body = ContainerCreateBody {
        image: Some(spec.image.clone()),
        env: Some(spec.env.clone()),
        labels: Some(labels()),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        host_config: Some(host_config),
        networking_config,
        ..Default::default()
    };
    let options = CreateContainerOptionsBuilder::default().name(&name).build();
    let created = docker
        .create_container(Some(options), body)
        .await
        .unwrap_or_else(|e| panic!("creating a container from {} failed: {e}", spec.image));
    let guard = Guard {
        kind: GuardKind::Container,
        id: created.id,
        name,
    };
    docker
        .start_container(&guard.id, None)
        .await
        .unwrap_or_else(|e| panic!("starting {} failed: {e}", guard.name));
    guard
}

/// The state of a container (by ID or name), `None` when it does not exist.
pub async fn container(docker: &Docker, name: &str) -> Option<ContainerInspectResponse> {
    docker
        .inspect_container(name, None::<InspectContainerOptions>)
        .await
        .ok()
}

/// Whether an inspected container runs (`false` when it does not exist).
pub fn running(c: &Option<ContainerInspectResponse>) -> bool {
    c.as_ref()
        .and_then(|c| c.state.as_ref())
        .and_then(|s| s.running)
        .unwrap_or(false)
}

/// Whether a container (by ID or name) exists and runs.
pub async fn is_running(docker: &Docker, id: &str) -> bool {
    running(&container(docker, id).await)
}

/// Everything the container wrote to stdout and stderr so far.
pub async fn logs(docker: &Docker, id: &str) -> String {
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .build();
    let mut stream = docker.logs(id, Some(options));
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

/// Poll `check` every 300 ms until it returns `Some`, or panic with `what`
/// and the container's logs.
pub async fn wait_for_with_logs<T>(
    docker: &Docker,
    container: &Guard,
    what: &str,
    timeout: Duration,
    check: impl AsyncFnMut() -> Option<T>,
) -> T {
    match poll(timeout, Duration::from_millis(300), check).await {
        Some(value) => value,
        None => {
            let logs = logs(docker, &container.id).await;
            panic!(
                "{what}: not after {} s; logs of {}:\n{logs}",
                timeout.as_secs(),
                container.name
            );
        }
    }
}
