//! Small bollard operations the stack manager is built from: a detailed view
//! of the stack's containers, networks, volumes, images, logs, stop/remove.

use std::collections::HashMap;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::time::{Duration, Instant};

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{EventMessage, NetworkCreateRequest, VolumeCreateRequest};
use bollard::query_parameters::{
    CreateImageOptionsBuilder, DownloadFromContainerOptionsBuilder, EventsOptionsBuilder,
    InspectContainerOptions, InspectNetworkOptions, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, StopContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use super::error::{docker_message, is_not_found, is_not_modified, StackError};
use super::{labels, observe, Role};

/// One container of the stack, inspected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub service: String,
    /// Docker's state: `created`, `running`, `exited`, …
    pub state: String,
    pub running: bool,
    /// RFC 3339, as the engine reports it; empty when never started.
    pub started_at: String,
    /// When it was created (RFC 3339, as the engine reports it).
    pub created_at: String,
    pub exit_code: i64,
    /// How often the engine restarted it (restart policy).
    pub restart_count: i64,
    /// Published ports while it runs: (`8000/tcp`, host port).
    pub published: Vec<(String, u16)>,
    /// `container:<id>` for services.
    pub network_mode: String,
    pub spec_hash: Option<String>,
    /// The gateway's [`labels::SECRETS_HASH`].
    pub secrets_hash: Option<String>,
    /// `healthy`, `unhealthy`, `starting`, or empty without a healthcheck.
    pub health: String,
}

impl Inspected {
    /// Whether this service lives in `gateway`'s current namespace: joined to
    /// that very container, and started after it (a service started before
    /// the gateway's last start is left in a dead namespace, gluetun #641).
    pub fn in_namespace_of(&self, gateway: &Inspected) -> bool {
        self.network_mode == format!("container:{}", gateway.id)
            && started_after(&self.started_at, &gateway.started_at)
    }

    /// The gateway this service joined, by ID or name.
    pub fn joined(&self) -> Option<&str> {
        self.network_mode.strip_prefix("container:")
    }
}

/// `a >= b` for two RFC 3339 times from the engine (same format and zone,
/// so the strings compare as times once the fraction is padded).
fn started_after(a: &str, b: &str) -> bool {
    fn key(t: &str) -> String {
        // 2026-11-24T21:53:14.123456789Z: pad the fraction to 9 digits.
        let t = t.trim_end_matches('Z');
        let (base, frac) = t.split_once('.').unwrap_or((t, ""));
        format!("{base}.{frac:0<9}")
    }
    !a.is_empty() && !a.starts_with("0001") && key(a) >= key(b)
}

/// The stack as it exists, container by container.
#[derive(Debug, Clone, Default)]
pub struct Current {
    /// The gateway with the expected name.
    pub gateway: Option<Inspected>,
    /// Other gateway containers of this profile (left from another project
    /// name); they are removed.
    pub stray_gateways: Vec<Inspected>,
    pub services: Vec<Inspected>,
}

impl Current {
    pub fn service(&self, name: &str) -> Option<&Inspected> {
        self.services.iter().find(|s| s.service == name)
    }

    pub fn is_empty(&self) -> bool {
        self.gateway.is_none() && self.stray_gateways.is_empty() && self.services.is_empty()
    }
}

pub async fn inspect_stack(
    docker: &Docker,
    profile: &str,
    gateway_name: &str,
) -> Result<Current, StackError> {
    let observed = observe(docker, profile)
        .await
        .map_err(|e| StackError::api("list the stack's containers", e))?;
    let mut current = Current::default();
    for c in observed.containers {
        let Some(inspected) = inspect(docker, &c.id).await? else {
            continue; // removed meanwhile
        };
        match inspected.role {
            Role::Gateway if inspected.name == gateway_name => current.gateway = Some(inspected),
            Role::Gateway => current.stray_gateways.push(inspected),
            Role::Service => current.services.push(inspected),
        }
    }
    Ok(current)
}

/// `None` when the container does not exist.
pub async fn inspect(docker: &Docker, id: &str) -> Result<Option<Inspected>, StackError> {
    let info = match docker
        .inspect_container(id, None::<InspectContainerOptions>)
        .await
    {
        Ok(info) => info,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(StackError::api(format!("inspect container {id}"), e)),
    };
    let labels_map = info
        .config
        .as_ref()
        .and_then(|c| c.labels.clone())
        .unwrap_or_default();
    let role = match labels_map.get(labels::ROLE).map(String::as_str) {
        Some("gateway") => Role::Gateway,
        _ => Role::Service,
    };
    let state = info.state.clone().unwrap_or_default();
    Ok(Some(Inspected {
        id: info.id.clone().unwrap_or_default(),
        name: info
            .name
            .clone()
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_owned(),
        role,
        service: labels_map
            .get(labels::SERVICE)
            .cloned()
            .unwrap_or_else(|| "gateway".to_owned()),
        state: state.status.map(|s| s.to_string()).unwrap_or_default(),
        running: state.running.unwrap_or(false),
        started_at: state.started_at.unwrap_or_default(),
        created_at: info.created.clone().unwrap_or_default(),
        exit_code: state.exit_code.unwrap_or(0),
        restart_count: info.restart_count.unwrap_or(0),
        published: info
            .network_settings
            .as_ref()
            .and_then(|n| n.ports.as_ref())
            .map(|ports| {
                ports
                    .iter()
                    .flat_map(|(key, bindings)| {
                        bindings.iter().flatten().filter_map(move |b| {
                            let port = b.host_port.as_deref()?.parse().ok()?;
                            Some((key.clone(), port))
                        })
                    })
                    .collect()
            })
            .unwrap_or_default(),
        network_mode: info
            .host_config
            .as_ref()
            .and_then(|h| h.network_mode.clone())
            .unwrap_or_default(),
        spec_hash: labels_map.get(labels::SPEC_HASH).cloned(),
        secrets_hash: labels_map.get(labels::SECRETS_HASH).cloned(),
        health: state
            .health
            .and_then(|h| h.status)
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }))
}

/// Stop gracefully (SIGTERM, then SIGKILL after `timeout_s`). Stopping a
/// stopped or missing container is not an error.
pub async fn stop(docker: &Docker, id: &str, timeout_s: i32) -> Result<(), StackError> {
    let options = StopContainerOptionsBuilder::default().t(timeout_s).build();
    match docker.stop_container(id, Some(options)).await {
        Ok(()) => Ok(()),
        Err(e) if is_not_found(&e) || is_not_modified(&e) => Ok(()),
        Err(e) => Err(StackError::api(format!("stop container {id}"), e)),
    }
}

/// Remove a container (forced; named volumes stay). Missing is fine.
pub async fn remove(docker: &Docker, id: &str) -> Result<(), StackError> {
    let options = RemoveContainerOptionsBuilder::default().force(true).build();
    match docker.remove_container(id, Some(options)).await {
        Ok(()) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        // "removal of container … is already in progress"
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 409, ..
        }) => Ok(()),
        Err(e) => Err(StackError::api(format!("remove container {id}"), e)),
    }
}

pub async fn start(docker: &Docker, id: &str, what: &str) -> Result<(), StackError> {
    match docker.start_container(id, None).await {
        Ok(()) => Ok(()),
        Err(e) if is_not_modified(&e) => Ok(()),
        Err(e) => {
            Err(port_error(&e).unwrap_or_else(|| StackError::api(format!("start {what}"), e)))
        }
    }
}

/// The engine's "port is already allocated" / "address already in use",
/// as [`StackError::PortInUse`] naming the port.
pub fn port_error(e: &bollard::errors::Error) -> Option<StackError> {
    let message = docker_message(e);
    let lower = message.to_ascii_lowercase();
    if !(lower.contains("port is already allocated") || lower.contains("address already in use")) {
        return None;
    }
    // "Bind for 127.0.0.1:18080 failed: port is already allocated" or
    // "listen tcp4 127.0.0.1:18080: bind: address already in use".
    let (address, port) = message
        .split(|c: char| c.is_whitespace())
        .filter_map(|word| word.trim_end_matches(':').rsplit_once(':'))
        .find_map(|(host, port)| port.parse::<u16>().ok().map(|p| (host.to_owned(), p)))?;
    Some(StackError::PortInUse {
        port,
        address,
        what: "published",
    })
}

/// Fail with [`StackError::PortInUse`] when something already listens on
/// `address:port`.
pub fn check_port_free(address: IpAddr, port: u16, what: &'static str) -> Result<(), StackError> {
    // A wildcard binding conflicts with loopback listeners too: test both.
    let mut addresses = vec![address];
    if address.is_unspecified() {
        addresses.push(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    for a in addresses {
        if let Err(e) = TcpListener::bind((a, port)) {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                return Err(StackError::PortInUse {
                    port,
                    address: a.to_string(),
                    what,
                });
            }
        }
    }
    Ok(())
}

/// Create the app's own bridge network when missing; an external network
/// must exist.
pub async fn ensure_network(
    docker: &Docker,
    name: &str,
    own: bool,
    labels: HashMap<String, String>,
) -> Result<(), StackError> {
    match docker
        .inspect_network(name, None::<InspectNetworkOptions>)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) && own => docker
            .create_network(NetworkCreateRequest {
                name: name.to_owned(),
                driver: Some("bridge".to_owned()),
                labels: Some(labels),
                ..Default::default()
            })
            .await
            .map(drop)
            .map_err(|e| StackError::api(format!("create the network {name}"), e)),
        Err(e) if is_not_found(&e) => Err(StackError::NetworkMissing(name.to_owned())),
        Err(e) => Err(StackError::api(format!("inspect the network {name}"), e)),
    }
}

/// Create a named volume (a no-op when it exists).
pub async fn ensure_volume(
    docker: &Docker,
    name: &str,
    labels: HashMap<String, String>,
) -> Result<(), StackError> {
    docker
        .create_volume(VolumeCreateRequest {
            name: Some(name.to_owned()),
            labels: Some(labels),
            ..Default::default()
        })
        .await
        .map(drop)
        .map_err(|e| StackError::api(format!("create the volume {name}"), e))
}

/// Remove a named volume (a no-op when it does not exist).
pub async fn remove_volume(docker: &Docker, name: &str) -> Result<(), StackError> {
    match docker
        .remove_volume(name, None::<bollard::query_parameters::RemoveVolumeOptions>)
        .await
    {
        Ok(()) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(StackError::api(format!("remove the volume {name}"), e)),
    }
}

/// Whether a named volume exists.
pub async fn volume_exists(docker: &Docker, name: &str) -> Result<bool, StackError> {
    match docker.inspect_volume(name).await {
        Ok(_) => Ok(true),
        Err(e) if is_not_found(&e) => Ok(false),
        Err(e) => Err(StackError::api(format!("inspect the volume {name}"), e)),
    }
}

/// Create a container that is never started: it only holds `volume` at
/// `path` for the archive API (read-only unless `writable`), with no
/// network. Made from `image`, which must be on this machine.
pub async fn create_holder(
    docker: &Docker,
    name: &str,
    image: &str,
    volume: &str,
    path: &str,
    writable: bool,
    labels: HashMap<String, String>,
) -> Result<String, StackError> {
    let mode = if writable { "rw" } else { "ro" };
    let body = bollard::models::ContainerCreateBody {
        image: Some(image.to_owned()),
        entrypoint: Some(vec!["/bin/true".to_owned()]),
        cmd: Some(Vec::new()),
        labels: Some(labels),
        host_config: Some(bollard::models::HostConfig {
            binds: Some(vec![format!("{volume}:{path}:{mode}")]),
            network_mode: Some("none".to_owned()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let options = bollard::query_parameters::CreateContainerOptionsBuilder::default()
        .name(name)
        .build();
    docker
        .create_container(Some(options), body)
        .await
        .map(|c| c.id)
        .map_err(|e| StackError::api(format!("create {name} to reach the volume {volume}"), e))
}

/// `path` of a container (running or not, volumes included) as the
/// engine's tar stream, owners and modes kept; `Ok(None)` when it does not
/// exist.
pub async fn download_tar(
    docker: &Docker,
    id: &str,
    path: &str,
) -> Result<Option<Vec<u8>>, StackError> {
    let options = DownloadFromContainerOptionsBuilder::default()
        .path(path)
        .build();
    let mut stream = docker.download_from_container(id, Some(options));
    let mut tar_bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => tar_bytes.extend_from_slice(&bytes),
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(StackError::api(format!("read {path} from {id}"), e)),
        }
    }
    Ok(Some(tar_bytes))
}

/// Unpack `tar` at `path` in a container, with the owners it records.
pub async fn upload_tar(
    docker: &Docker,
    id: &str,
    path: &str,
    tar: Vec<u8>,
) -> Result<(), StackError> {
    let options = UploadToContainerOptionsBuilder::default()
        .path(path)
        .copy_uidgid("true")
        .build();
    docker
        .upload_to_container(id, Some(options), bollard::body_full(tar.into()))
        .await
        .map_err(|e| StackError::api(format!("write {path} in {id}"), e))
}

/// One line of pull progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullProgress {
    pub status: String,
    pub current: Option<i64>,
    pub total: Option<i64>,
}

/// `image` as `(repository, tag)`; the tag defaults to `latest`, a digest
/// stays attached to the repository.
pub fn split_image(image: &str) -> (String, String) {
    if image.contains('@') {
        return (image.to_owned(), String::new());
    }
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[last_slash..].rfind(':') {
        Some(i) => (
            image[..last_slash + i].to_owned(),
            image[last_slash + i + 1..].to_owned(),
        ),
        None => (image.to_owned(), "latest".to_owned()),
    }
}

/// Make sure `image` is present: pull it with progress when missing.
pub async fn ensure_image(
    docker: &Docker,
    image: &str,
    progress: &mut (dyn FnMut(PullProgress) + Send),
) -> Result<(), StackError> {
    match docker.inspect_image(image).await {
        Ok(_) => return Ok(()),
        Err(e) if is_not_found(&e) => {}
        Err(e) => return Err(StackError::api(format!("inspect the image {image}"), e)),
    }
    let (repo, tag) = split_image(image);
    let mut builder = CreateImageOptionsBuilder::default().from_image(&repo);
    if !tag.is_empty() {
        builder = builder.tag(&tag);
    }
    let mut stream = docker.create_image(Some(builder.build()), None, None);
    let mut last_report = Instant::now() - Duration::from_secs(1);
    let mut last_status = String::new();
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| StackError::ImageMissing {
            image: image.to_owned(),
            reason: docker_message(&e),
        })?;
        if let Some(detail) = info.error_detail {
            return Err(StackError::ImageMissing {
                image: image.to_owned(),
                reason: detail
                    .message
                    .unwrap_or_else(|| "the pull failed".to_owned()),
            });
        }
        let status = info.status.unwrap_or_default();
        // Every new status, and byte counts at most twice a second.
        if status != last_status || last_report.elapsed() >= Duration::from_millis(500) {
            last_report = Instant::now();
            last_status.clone_from(&status);
            let detail = info.progress_detail.unwrap_or_default();
            progress(PullProgress {
                status,
                current: detail.current,
                total: detail.total,
            });
        }
    }
    match docker.inspect_image(image).await {
        Ok(_) => Ok(()),
        Err(e) => Err(StackError::ImageMissing {
            image: image.to_owned(),
            reason: format!("the pull ended without the image: {}", docker_message(&e)),
        }),
    }
}

/// Write `bytes` to `path` in a container (running or not, volumes
/// included) through the archive API, owned by `uid:gid` with `mode`; the
/// file's folder is created (same owner, 0755) when missing. The folder's
/// parent must exist.
pub async fn write_file(
    docker: &Docker,
    id: &str,
    path: &str,
    bytes: &[u8],
    uid: u32,
    gid: u32,
    mode: u32,
) -> Result<(), StackError> {
    let p = std::path::Path::new(path);
    let (Some(dir), Some(name)) = (p.parent(), p.file_name()) else {
        return Err(StackError::Settings(format!("{path} is not a file path")));
    };
    let (Some(parent), Some(dir_name)) = (dir.parent(), dir.file_name()) else {
        return Err(StackError::Settings(format!(
            "{path} has no folder to create"
        )));
    };
    let tar = (|| -> std::io::Result<Vec<u8>> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_uid(u64::from(uid));
        h.set_gid(u64::from(gid));
        h.set_size(0);
        h.set_mtime(0);
        builder.append_data(
            &mut h,
            format!("{}/", dir_name.to_string_lossy()),
            std::io::empty(),
        )?;
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(mode);
        h.set_uid(u64::from(uid));
        h.set_gid(u64::from(gid));
        h.set_size(bytes.len() as u64);
        h.set_mtime(0);
        builder.append_data(
            &mut h,
            format!("{}/{}", dir_name.to_string_lossy(), name.to_string_lossy()),
            bytes,
        )?;
        builder.into_inner()
    })()
    .map_err(|e| StackError::Settings(format!("packing {path} failed: {e}")))?;
    let options = UploadToContainerOptionsBuilder::default()
        .path(&parent.to_string_lossy())
        .build();
    docker
        .upload_to_container(id, Some(options), bollard::body_full(tar.into()))
        .await
        .map_err(|e| StackError::api(format!("write {path} in {id}"), e))
}

/// An image's `org.opencontainers.image.version` label (gluetun sets it to
/// the release tag, or `latest`); `None` without one.
pub async fn image_version_label(
    docker: &Docker,
    image: &str,
) -> Result<Option<String>, StackError> {
    match docker.inspect_image(image).await {
        Ok(info) => Ok(info
            .config
            .and_then(|c| c.labels)
            .and_then(|l| l.get("org.opencontainers.image.version").cloned())),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(StackError::api(format!("inspect the image {image}"), e)),
    }
}

/// The last `lines` lines a container wrote (stdout and stderr).
pub async fn log_tail(docker: &Docker, id: &str, lines: usize) -> String {
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .tail(&lines.to_string())
        .build();
    collect_logs(docker, id, options).await
}

/// Everything a container wrote since `since_unix` (seconds).
pub async fn logs_since(docker: &Docker, id: &str, since_unix: i32) -> String {
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .since(since_unix)
        .build();
    collect_logs(docker, id, options).await
}

async fn collect_logs(
    docker: &Docker,
    id: &str,
    options: bollard::query_parameters::LogsOptions,
) -> String {
    let mut stream = docker.logs(id, Some(options));
    let mut out = String::new();
    while let Some(Ok(chunk)) = stream.next().await {
        out.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
    }
    // These tails end up in error messages: qBittorrent's temporary
    // password (5.x prints it) is not repeated there.
    let indented: Vec<String> = out
        .lines()
        .map(|l| format!("    {}", crate::qbittorrent::redact_temporary_password(l)))
        .collect();
    indented.join("\n")
}

/// The engine's container events for one profile's containers, optionally
/// only the `actions` listed.
pub fn profile_events(
    docker: &Docker,
    profile: &str,
    actions: &[&str],
) -> BoxStream<'static, Result<EventMessage, bollard::errors::Error>> {
    let mut filters = HashMap::new();
    filters.insert("type".to_owned(), vec!["container".to_owned()]);
    filters.insert(
        "label".to_owned(),
        vec![format!("{}={profile}", labels::PROFILE)],
    );
    if !actions.is_empty() {
        filters.insert(
            "event".to_owned(),
            actions.iter().map(|a| (*a).to_owned()).collect(),
        );
    }
    let options = EventsOptionsBuilder::default().filters(&filters).build();
    docker.events(Some(options)).boxed()
}

/// The exit code of the container's last `die` between `since_unix` and
/// now, from the engine's event log (a container that its restart policy
/// already started again reports 0 in its state).
pub async fn last_exit_code(docker: &Docker, id: &str, since_unix: i64) -> Option<i64> {
    let mut filters = HashMap::new();
    filters.insert("type".to_owned(), vec!["container".to_owned()]);
    filters.insert("container".to_owned(), vec![id.to_owned()]);
    filters.insert("event".to_owned(), vec!["die".to_owned()]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() + 1);
    let options = EventsOptionsBuilder::default()
        .filters(&filters)
        .since(&since_unix.to_string())
        .until(&now.to_string())
        .build();
    let mut events = docker.events(Some(options));
    let mut code = None;
    while let Ok(Some(Ok(event))) =
        tokio::time::timeout(std::time::Duration::from_secs(2), events.next()).await
    {
        code = event
            .actor
            .and_then(|a| a.attributes)
            .and_then(|attrs| attrs.get("exitCode").and_then(|c| c.parse().ok()))
            .or(code);
    }
    code
}

/// Start `cmd` in a running container; its output (stdout and stderr) as it
/// comes.
pub async fn exec_stream(
    docker: &Docker,
    container: &str,
    cmd: &[&str],
) -> Result<BoxStream<'static, Result<LogOutput, bollard::errors::Error>>, bollard::errors::Error> {
    let id = create_exec(docker, container, cmd, false).await?;
    match docker.start_exec(&id, None).await? {
        StartExecResults::Attached { output, .. } => Ok(output),
        StartExecResults::Detached => Ok(futures_util::stream::empty().boxed()),
    }
}

/// Create `cmd` as an exec in `container`, its output attached (and its
/// standard input when `stdin`); its ID.
async fn create_exec(
    docker: &Docker,
    container: &str,
    cmd: &[&str],
    stdin: bool,
) -> Result<String, bollard::errors::Error> {
    let exec = docker
        .create_exec(
            container,
            CreateExecOptions {
                cmd: Some(cmd.iter().map(|s| (*s).to_owned()).collect()),
                attach_stdin: Some(stdin),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await?;
    Ok(exec.id)
}

/// A process started in a running container (`docker exec`), what it
/// prints, and its standard input.
pub struct Attached {
    pub output: BoxStream<'static, Result<LogOutput, bollard::errors::Error>>,
    pub input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
}

/// Start `cmd` in a running container with its standard input attached:
/// it reads what is written to `input`, and sees its end when that is
/// dropped.
pub async fn exec_attached(
    docker: &Docker,
    container: &str,
    cmd: &[&str],
) -> Result<Attached, bollard::errors::Error> {
    let id = create_exec(docker, container, cmd, true).await?;
    match docker.start_exec(&id, None).await? {
        StartExecResults::Attached { output, input } => Ok(Attached { output, input }),
        StartExecResults::Detached => Err(bollard::errors::Error::IOError {
            err: std::io::Error::other("the exec started detached"),
        }),
    }
}

/// Run `cmd` in a running container to its end; all it printed (empty when
/// it could not run).
pub async fn exec_text(docker: &Docker, container: &str, cmd: &[&str]) -> String {
    let mut text = String::new();
    if let Ok(mut output) = exec_stream(docker, container, cmd).await {
        while let Some(Ok(chunk)) = output.next().await {
            text.push_str(&chunk.to_string());
        }
    }
    text
}

/// One file from a container (running or not), via the archive API.
/// `Ok(None)` when it does not exist.
pub async fn read_file(
    docker: &Docker,
    id: &str,
    path: &str,
) -> Result<Option<String>, StackError> {
    let Some(tar_bytes) = download_tar(docker, id, path).await? else {
        return Ok(None);
    };
    let mut archive = tar::Archive::new(tar_bytes.as_slice());
    let entries = archive
        .entries()
        .map_err(|e| StackError::Settings(format!("reading the archive of {path}: {e}")))?;
    for entry in entries {
        let mut entry = entry
            .map_err(|e| StackError::Settings(format!("reading the archive of {path}: {e}")))?;
        if entry.header().entry_type().is_file() {
            let mut text = String::new();
            entry
                .read_to_string(&mut text)
                .map_err(|e| StackError::Settings(format!("reading {path}: {e}")))?;
            return Ok(Some(text));
        }
    }
    Ok(None)
}

/// Seconds since the epoch of an engine time (`2026-11-24T21:53:14.12Z`).
pub fn unix_seconds(rfc3339: &str) -> Option<i64> {
    let (date, time) = rfc3339.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.trim_end_matches('Z');
    let hms = time.split(['.', '+']).next()?;
    let mut t = hms.split(':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        let cases = [
            ("qmcgaw/gluetun:v3.41.1", ("qmcgaw/gluetun", "v3.41.1")),
            ("qmcgaw/gluetun", ("qmcgaw/gluetun", "latest")),
            ("127.0.0.1:9/x:1", ("127.0.0.1:9/x", "1")),
            ("127.0.0.1:9/x", ("127.0.0.1:9/x", "latest")),
            (
                "lscr.io/linuxserver/qbittorrent:5.1.4",
                ("lscr.io/linuxserver/qbittorrent", "5.1.4"),
            ),
            ("a/b@sha256:00", ("a/b@sha256:00", "")),
        ];
        for (image, (repo, tag)) in cases {
            assert_eq!(
                split_image(image),
                (repo.to_owned(), tag.to_owned()),
                "{image}"
            );
        }
    }

    #[test]
    fn engine_times() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            unix_seconds("2026-11-24T21:53:14.123456789Z"),
            Some(1_795_557_194)
        );
        assert_eq!(unix_seconds("garbage"), None);
        assert!(started_after(
            "2026-11-24T21:53:14.5Z",
            "2026-11-24T21:53:14.123456789Z"
        ));
        assert!(!started_after(
            "2026-11-24T21:53:14.1Z",
            "2026-11-24T21:53:14.123456789Z"
        ));
        assert!(!started_after(
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:00:00Z"
        ));
        assert!(!started_after("", "2026-11-24T21:53:14Z"));
    }

    #[test]
    fn port_errors_name_the_port() {
        let e = bollard::errors::Error::DockerResponseServerError {
            status_code: 500,
            message: "driver failed programming external connectivity on endpoint x: Bind for \
                      127.0.0.1:18080 failed: port is already allocated"
                .to_owned(),
        };
        match port_error(&e) {
            Some(StackError::PortInUse { port, address, .. }) => {
                assert_eq!((port, address.as_str()), (18080, "127.0.0.1"));
            }
            other => panic!("{other:?}"),
        }
        let other = bollard::errors::Error::DockerResponseServerError {
            status_code: 500,
            message: "something else".to_owned(),
        };
        assert!(port_error(&other).is_none());
    }

    #[test]
    fn a_listening_port_is_reported() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        match check_port_free(IpAddr::V4(Ipv4Addr::LOCALHOST), port, "Web UI") {
            Err(StackError::PortInUse { port: p, what, .. }) => {
                assert_eq!((p, what), (port, "Web UI"));
            }
            other => panic!("{other:?}"),
        }
        drop(listener);
        assert!(check_port_free(IpAddr::V4(Ipv4Addr::LOCALHOST), port, "Web UI").is_ok());
    }
}
