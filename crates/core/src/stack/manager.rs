//! Connect, disconnect and reconcile: the stack driven through bollard.
//!
//! The invariant every path keeps: a protected service (qBittorrent) is only
//! started inside the gateway's current namespace, and only once the
//! gateway's control server says the tunnel runs and has a public IP; when
//! the gateway is not running, no service runs either.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::query_parameters::{CreateContainerOptionsBuilder, UploadToContainerOptionsBuilder};
use bollard::{body_full, Docker};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use zeroize::Zeroizing;

use super::engine::{self, Current, Inspected, PullProgress};
use super::error::StackError;
use super::harden::{self, Hardened, PreSeed};
use super::spec::{
    self, base_labels, gateway_body, qbittorrent_body, GatewaySecrets, StackNames, QBITTORRENT,
};
use super::target::{CancelToken, Target, TargetFile};
use crate::docker;
use crate::gluetun::{
    self, app_routes_for, auth_config_toml_with_routes, GluetunClient, GluetunError,
    GluetunRelease, PublicIp, VpnStatus,
};
use crate::paths::AppPaths;
use crate::progress::{ConnectStep, Progress, ProgressFn, CONNECT_STEPS};
use crate::secrets::{KeyringStore, SecretKind, Secrets};
use crate::settings::{gluetun as rules, image_generations, Settings, VpnType};

/// Timeouts and pacing; the defaults suit real use and the lab.
#[derive(Debug, Clone)]
pub struct ManagerOptions {
    /// How long the tunnel may take to come up.
    pub tunnel_timeout: Duration,
    /// How long qBittorrent's Web UI may take to answer.
    pub webui_timeout: Duration,
    /// How often the control server is asked while waiting.
    pub poll_interval: Duration,
    /// Grace period for a service to save its state when stopped.
    pub stop_timeout_s: i32,
}

impl Default for ManagerOptions {
    fn default() -> Self {
        Self {
            tunnel_timeout: Duration::from_secs(120),
            webui_timeout: Duration::from_secs(60),
            poll_interval: Duration::from_millis(250),
            stop_timeout_s: 30,
        }
    }
}

struct Steps<'a, 'b> {
    progress: &'a mut ProgressFn<'b>,
    current: Option<(ConnectStep, usize)>,
    intent: Intent<'a>,
}

/// Whether the user still wants this connect: its token not cancelled, and
/// the persisted target still the one it set.
struct Intent<'a> {
    token: &'a CancelToken,
    target: Option<(&'a TargetFile, u64)>,
}

/// How often a connect's waits look at the persisted target.
const INTENT_POLL: Duration = Duration::from_millis(200);
/// How long the healer leaves a created, not yet started gateway alone.
pub const FRESH_GATEWAY: Duration = Duration::from_secs(30);

/// How long ago an engine time was (zero when it cannot be read, or is
/// ahead of this clock).
fn age(rfc3339: &str) -> Duration {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    engine::unix_seconds(rfc3339)
        .and_then(|t| u64::try_from(t).ok())
        .map_or(Duration::ZERO, |t| {
            Duration::from_secs(now.saturating_sub(t))
        })
}
/// Where a volume is mounted in the container that reaches it for a
/// backup or a restore; a volume's tar stream holds its files below
/// `volume/`.
pub const VOLUME_PATH: &str = "/volume";

impl Intent<'_> {
    fn withdrawn(&self) -> bool {
        self.token.is_cancelled()
            || self
                .target
                .is_some_and(|(file, seq)| file.read().is_none_or(|r| r.seq != seq))
    }

    fn check(&self) -> Result<(), StackError> {
        if self.withdrawn() {
            Err(StackError::Cancelled)
        } else {
            Ok(())
        }
    }

    async fn until_withdrawn(&self) {
        while !self.withdrawn() {
            tokio::select! {
                () = self.token.cancelled() => {}
                () = tokio::time::sleep(INTENT_POLL) => {}
            }
        }
    }

    /// `work`, abandoned when the intent is withdrawn (only for work that
    /// may stop at any point: waits, pulls, HTTP calls).
    async fn guard<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, StackError>>,
    ) -> Result<T, StackError> {
        tokio::select! {
            r = work => r,
            () = self.until_withdrawn() => Err(StackError::Cancelled),
        }
    }

    fn record(&self, step: Option<ConnectStep>) {
        if let Some((file, seq)) = self.target {
            file.set_step(seq, step);
        }
    }
}

impl Steps<'_, '_> {
    /// The next step, unless the connect was cancelled.
    fn begin(&mut self, step: ConnectStep) -> Result<(), StackError> {
        self.intent.check()?;
        self.intent.record(Some(step));
        self.start(step);
        Ok(())
    }

    fn start(&mut self, step: ConnectStep) {
        self.finish();
        let number = CONNECT_STEPS
            .iter()
            .position(|s| *s == step)
            .map_or(0, |i| i + 1);
        self.current = Some((step, number));
        (self.progress)(Progress::Step {
            step,
            number,
            total: CONNECT_STEPS.len(),
        });
    }

    fn finish(&mut self) {
        if let Some((step, number)) = self.current.take() {
            (self.progress)(Progress::StepDone {
                step,
                number,
                total: CONNECT_STEPS.len(),
            });
        }
    }

    fn note(&mut self, message: impl Into<String>) {
        (self.progress)(Progress::Note {
            message: message.into(),
        });
    }

    fn step(&self) -> ConnectStep {
        self.current.map_or(ConnectStep::Preparing, |(s, _)| s)
    }
}

/// The outcome of a connect.
#[derive(Debug, Clone, Serialize)]
pub struct Connected {
    pub gateway_id: String,
    pub qbittorrent_id: String,
    pub public_ip: String,
    pub country: Option<String>,
    pub city: Option<String>,
    pub forwarded_port: Option<u16>,
    pub webui_url: String,
    /// True when a running, up-to-date gateway was kept.
    pub reused_gateway: bool,
    pub qbittorrent: Hardened,
}

/// What reconcile found and did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Reconciled {
    /// Nothing of the stack exists.
    Disconnected,
    /// The gateway does not run, so neither does any service.
    Stopped,
    /// The gateway runs with its tunnel up and every service inside it.
    Connected,
    /// The gateway runs but its tunnel is down: services were not started
    /// (those already inside keep the kill switch's protection).
    TunnelDown { status: String },
    /// A gateway created moments ago that has not started yet: left for
    /// whoever created it to start (the healer only).
    Starting,
    /// The same, with `actions` taken to get there.
    Repaired {
        actions: Vec<String>,
        now: Box<Reconciled>,
    },
}

impl Reconciled {
    /// The state arrived at, whatever was repaired on the way.
    pub fn settled(&self) -> &Reconciled {
        match self {
            Reconciled::Repaired { now, .. } => now.settled(),
            other => other,
        }
    }
}

/// Drives one profile's stack.
pub struct StackManager {
    docker: Docker,
    settings: Settings,
    names: StackNames,
    secrets: Secrets,
    options: ManagerOptions,
    gateway_client: tokio::sync::OnceCell<GluetunClient>,
    /// One change of the stack at a time: connect, disconnect and reconcile
    /// (the healer's) never interleave.
    operation: tokio::sync::Mutex<()>,
    /// Where the profile and project of the stack that exists are kept
    /// (`stack.json` in the config dir), so that renaming either while it
    /// exists is refused rather than leaving it behind.
    record: Option<std::path::PathBuf>,
    /// The user's intent (`target.json` beside the settings).
    target: Option<TargetFile>,
}

impl std::fmt::Debug for StackManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackManager")
            .field("profile", &self.settings.profile)
            .finish_non_exhaustive()
    }
}

/// What `stack.json` holds: the names the existing stack was made under.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct StackRecord {
    profile: String,
    project: String,
}

impl StackManager {
    pub fn new(docker: Docker, settings: Settings, secrets: Secrets) -> Self {
        let names = StackNames::new(&settings);
        Self {
            docker,
            settings,
            names,
            secrets,
            options: ManagerOptions::default(),
            gateway_client: tokio::sync::OnceCell::new(),
            operation: tokio::sync::Mutex::new(()),
            record: None,
            target: None,
        }
    }

    /// Keep the stack's names in `dir/stack.json` (see [`Self::check_names`]).
    /// Also where the target is kept (see [`super::target`]).
    pub fn with_record_in(mut self, dir: &std::path::Path) -> Self {
        self.record = Some(dir.join("stack.json"));
        self.target = Some(TargetFile::new(dir, &self.settings.profile));
        self
    }

    /// The profile's persisted target, when this manager keeps one.
    pub fn target_file(&self) -> Option<&TargetFile> {
        self.target.as_ref()
    }

    /// Record what the user asked for; the new sequence number.
    fn set_target(&self, target: Target) -> Result<Option<u64>, StackError> {
        self.target
            .as_ref()
            .map(|file| file.set(target))
            .transpose()
            .map_err(|e| StackError::Settings(format!("cannot record the target: {e}")))
    }

    /// Refuse to act when the settings renamed the profile or the project
    /// while a stack made under the old names still exists: it would be left
    /// running, out of the app's sight.
    async fn check_names(&self) -> Result<(), StackError> {
        let Some(path) = &self.record else {
            return Ok(());
        };
        let Some(old) = std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice::<StackRecord>(&b).ok())
        else {
            return Ok(());
        };
        let now = &self.settings;
        let (field, from, to) = if old.profile != now.profile {
            ("profile", &old.profile, &now.profile)
        } else if old.project != now.stack.project {
            ("stack.project", &old.project, &now.stack.project)
        } else {
            return Ok(());
        };
        let left = super::observe(&self.docker, &old.profile)
            .await
            .map_err(|e| StackError::api("list the stack's containers", e))?;
        let still_there = left
            .containers
            .iter()
            .any(|c| field == "profile" || c.name.starts_with(&format!("{}-", old.project)));
        if still_there {
            return Err(StackError::Refused {
                field: field.to_owned(),
                message: format!(
                    "was renamed from {from:?} to {to:?} while the stack made under {from:?} \
                     exists; put the old name back and disconnect first, then rename"
                ),
            });
        }
        let _ = std::fs::remove_file(path);
        Ok(())
    }

    fn write_record(&self) {
        if let Some(path) = &self.record {
            let record = StackRecord {
                profile: self.settings.profile.clone(),
                project: self.settings.stack.project.clone(),
            };
            if let Ok(bytes) = serde_json::to_vec(&record) {
                if let Err(e) = crate::settings::write_atomic(path, &bytes) {
                    tracing::warn!(error = %e, "cannot write {}", path.display());
                }
            }
        }
    }

    /// The manager for the configured profile: settings from `paths`, the
    /// engine they name (or the usual places), secrets in the OS keychain.
    pub async fn open(paths: &AppPaths) -> Result<Self, StackError> {
        let file = paths.settings_file();
        let settings = Settings::load(&file)
            .map_err(|e| StackError::Settings(e.to_string()))?
            .ok_or_else(|| StackError::NotConfigured {
                path: file.display().to_string(),
            })?;
        let connected = docker::connect(settings.docker.host.as_deref()).await?;
        let store = KeyringStore::open()?;
        let secrets = Secrets::new(Arc::new(store), settings.profile.clone());
        Ok(Self::new(connected.docker, settings, secrets).with_record_in(paths.config_dir()))
    }

    pub fn with_options(mut self, options: ManagerOptions) -> Self {
        self.options = options;
        self
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn names(&self) -> &StackNames {
        &self.names
    }

    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Whether the gateway runs and publishes `container_port` on the
    /// settings' host port: only then is a request to that host port one to
    /// the gateway, and not to some other program that took the port.
    pub async fn gateway_publishes(&self, container_port: u16, host_port: u16) -> bool {
        let key = format!("{container_port}/tcp");
        // One inspect of the gateway by name: this runs with every poll.
        engine::inspect(&self.docker, &self.names.gateway)
            .await
            .ok()
            .flatten()
            .is_some_and(|g| {
                g.running
                    && g.published
                        .iter()
                        .any(|(k, p)| *k == key && *p == host_port)
            })
    }

    /// The lock every change of the stack takes, one at a time: in this
    /// process, and across processes (the app, `tvpn`) for this profile.
    pub(crate) async fn lock_operation(&self) -> Result<OperationGuard<'_>, StackError> {
        let local = self.operation.lock().await;
        let path = super::lock::path_for(&self.settings.profile);
        let file = tokio::task::spawn_blocking(move || super::lock::acquire(&path))
            .await
            .map_err(|e| StackError::Settings(format!("the stack lock task failed: {e}")))?
            .map_err(|e| StackError::Settings(format!("the stack lock: {e}")))?;
        Ok(OperationGuard {
            _local: local,
            _file: file,
        })
    }

    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// The stack's containers as they are now.
    pub async fn current(&self) -> Result<Current, StackError> {
        engine::inspect_stack(&self.docker, &self.settings.profile, &self.names.gateway).await
    }

    /// The gateway's control-server URL on this machine.
    pub fn control_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.settings.stack.control_port)
    }

    /// A control-server client with the API key from the Keychain (made and
    /// stored on first use; read once per manager).
    pub async fn gateway_client(&self) -> Result<&GluetunClient, StackError> {
        self.gateway_client
            .get_or_try_init(|| async {
                let key = self
                    .secrets
                    .get_or_generate(SecretKind::ControlApiKey, gluetun::generate_api_key)
                    .await?;
                Ok(GluetunClient::new(&self.control_url(), Some(key))?)
            })
            .await
    }

    /// Connect: the gateway first, qBittorrent only once the tunnel is up,
    /// then qBittorrent hardened. On failure, whatever this call started is
    /// stopped and removed again, so nothing is left half running.
    ///
    /// The target becomes `Connected`. `cancel`, or a new target set by
    /// anyone meanwhile (Disconnect, Cancel, in any process), stops it at its
    /// next step or wait, and what it started is removed before the lock is
    /// released: nothing can finish a cancelled connect.
    pub async fn connect(
        &self,
        mut progress: ProgressFn<'_>,
        cancel: &CancelToken,
    ) -> Result<Connected, StackError> {
        let seq = self.set_target(Target::Connected)?;
        let intent = Intent {
            token: cancel,
            target: self.target.as_ref().zip(seq),
        };
        let _operation = intent.guard(self.lock_operation()).await?;
        let mut steps = Steps {
            progress: &mut progress,
            current: None,
            intent,
        };
        let result = self.connect_steps(&mut steps).await;
        steps.intent.record(None);
        match result {
            Ok(connected) => {
                steps.finish();
                Ok(connected)
            }
            Err(e) => {
                let step = steps.step();
                // Nothing to remove after an engine that does not answer, or a
                // refusal before anything was made (which may be about a
                // stack under other names: it is left alone).
                if !matches!(e, StackError::Docker(_) | StackError::Refused { .. }) {
                    steps.note(if matches!(e, StackError::Cancelled) {
                        "connect cancelled: removing what it started"
                    } else {
                        "connect failed: removing what it started"
                    });
                    if let Err(cleanup) = self.teardown().await {
                        tracing::warn!(error = %cleanup, "cleaning up after a failed connect");
                    }
                }
                // What exists is what the user has now: nothing. A cancel
                // already set its own target.
                if let (Some(file), Some(seq)) = (&self.target, seq) {
                    if file.read().is_some_and(|r| r.seq == seq) {
                        let _ = file.set(Target::Disconnected);
                    }
                }
                Err(e.at(step))
            }
        }
    }

    async fn connect_steps(&self, steps: &mut Steps<'_, '_>) -> Result<Connected, StackError> {
        let settings = &self.settings;
        steps.begin(ConnectStep::Preparing)?;
        self.check_names().await?;
        let vpn_secrets = self.vpn_secrets().await?;
        let current = self.current().await?;
        let client = self.gateway_client().await?;
        let mut desired = gateway_body(settings, &self.names);
        // Rotated keys are a new gateway too: a keyed hash of its secret
        // files (the control-server key is the key; nothing in the label
        // reveals a secret).
        let api_key = self
            .secrets
            .get_or_generate(SecretKind::ControlApiKey, gluetun::generate_api_key)
            .await?;
        let secrets_hash = spec::secrets_hash(&api_key, &vpn_secrets);
        if let Some(l) = desired.labels.as_mut() {
            l.insert(super::labels::SECRETS_HASH.to_owned(), secrets_hash.clone());
        }
        let desired_hash = desired
            .labels
            .as_ref()
            .and_then(|l| l.get(super::labels::SPEC_HASH).cloned());
        let reusable = match &current.gateway {
            Some(gw)
                if gw.running
                    && gw.spec_hash == desired_hash
                    && gw.secrets_hash.as_deref() == Some(secrets_hash.as_str()) =>
            {
                // Kept only when it answers with the Keychain's API key.
                !matches!(
                    client.vpn_status().await,
                    Err(GluetunError::Unauthorized { .. })
                )
            }
            _ => false,
        };
        for stray in &current.stray_gateways {
            self.remove_gateway_and_services(&current, stray).await?;
        }
        let gateway = if reusable {
            steps.note("the gateway already runs with these settings: keeping it");
            current.gateway.clone()
        } else {
            if let Some(old) = &current.gateway {
                steps.note("replacing the existing gateway");
                self.remove_gateway_and_services(&current, old).await?;
            }
            // Services of this profile that joined no longer existing gateways.
            for service in &current.services {
                engine::stop(&self.docker, &service.id, self.options.stop_timeout_s).await?;
            }
            self.check_ports()?;
            None
        };
        self.prepare().await?;
        self.write_record();

        steps.begin(ConnectStep::Images)?;
        if gateway.is_none() {
            self.ensure_image(steps, &settings.stack.gateway_image)
                .await?;
        }
        self.ensure_image(steps, &settings.stack.qbittorrent_image)
            .await?;

        steps.begin(ConnectStep::CreatingGateway)?;
        let gateway_id = match &gateway {
            Some(gw) => gw.id.clone(),
            None => {
                // The image's own version label decides which of gluetun's
                // rules and routes apply (a tag can lie, a digest says nothing).
                let image = &settings.stack.gateway_image;
                let label = engine::image_version_label(&self.docker, image).await?;
                let generations = image_generations(image, label.as_deref());
                if let Some(r) = rules::check(settings, &generations).into_iter().next() {
                    return Err(StackError::Refused {
                        field: r.field,
                        message: r.message,
                    });
                }
                let release = gateway_release(image, label.as_deref());
                self.create_gateway(desired, vpn_secrets, &release).await?
            }
        };

        steps.begin(ConnectStep::StartingGateway)?;
        if gateway.is_none() {
            engine::start(&self.docker, &gateway_id, "the VPN gateway").await?;
        }

        steps.begin(ConnectStep::WaitingForTunnel)?;
        let ip = steps
            .intent
            .guard(self.wait_tunnel(client, &gateway_id))
            .await?;
        let gateway = engine::inspect(&self.docker, &gateway_id)
            .await?
            .ok_or(StackError::TunnelLost("the gateway disappeared"))?;

        steps.begin(ConnectStep::StartingServices)?;
        let current = self.current().await?;
        let (service, preseed) = self
            .ensure_service(&current, &gateway, client, QBITTORRENT)
            .await?;

        steps.begin(ConnectStep::Hardening)?;
        let hardened = steps
            .intent
            .guard(self.harden(&service, client, preseed))
            .await?;
        Ok(Connected {
            gateway_id,
            qbittorrent_id: service.id,
            public_ip: ip.public_ip.map(|a| a.to_string()).unwrap_or_default(),
            country: ip.country,
            city: ip.city,
            forwarded_port: hardened.listen_port,
            webui_url: harden::webui_url(settings),
            reused_gateway: reusable,
            qbittorrent: hardened,
        })
    }

    /// Log in to a freshly (re)started service and secure it.
    async fn harden(
        &self,
        service: &Inspected,
        client: &GluetunClient,
        preseed: PreSeed,
    ) -> Result<Hardened, StackError> {
        harden::harden(
            &self.docker,
            &self.settings,
            &self.secrets,
            service,
            &self.names.config_volume(&service.service),
            client,
            self.options.webui_timeout,
            preseed,
        )
        .await
    }

    /// Both published ports must be free before a new gateway is created.
    fn check_ports(&self) -> Result<(), StackError> {
        let st = &self.settings.stack;
        engine::check_port_free(st.bind_address, st.webui_port, "Web UI")?;
        engine::check_port_free(
            std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            st.control_port,
            "control server",
        )
    }

    /// The network, the volumes and the downloads folder.
    async fn prepare(&self) -> Result<(), StackError> {
        let labels = base_labels(&self.settings, "stack", "stack");
        engine::ensure_network(
            &self.docker,
            &self.names.network,
            self.names.own_network,
            labels.clone(),
        )
        .await?;
        engine::ensure_volume(&self.docker, &self.names.gluetun_volume, labels.clone()).await?;
        engine::ensure_volume(&self.docker, &self.names.config_volume(QBITTORRENT), labels).await?;
        let dir = &self.settings.stack.downloads_dir;
        // A folder on a drive that is not plugged in is never made on the
        // boot disk instead.
        crate::settings::exposure::check_volume_mounted(dir).map_err(|reason| {
            StackError::DownloadsDir {
                path: dir.display().to_string(),
                reason,
            }
        })?;
        std::fs::create_dir_all(dir).map_err(|e| StackError::DownloadsDir {
            path: dir.display().to_string(),
            reason: e.to_string(),
        })
    }

    async fn ensure_image(&self, steps: &mut Steps<'_, '_>, image: &str) -> Result<(), StackError> {
        let name = image.to_owned();
        let mut report = |p: PullProgress| {
            (steps.progress)(Progress::Pull {
                image: name.clone(),
                status: p.status,
                current: p.current,
                total: p.total,
            });
        };
        let pull = engine::ensure_image(&self.docker, image, &mut report);
        tokio::select! {
            r = pull => r,
            () = steps.intent.until_withdrawn() => Err(StackError::Cancelled),
        }
    }

    /// Create the gateway and put its secrets in before it ever starts.
    async fn create_gateway(
        &self,
        body: bollard::models::ContainerCreateBody,
        vpn_secrets: Vec<(SecretKind, SecretString)>,
        release: &GluetunRelease,
    ) -> Result<String, StackError> {
        let files = self.secret_files(vpn_secrets, release).await?;
        let tar = Zeroizing::new(
            spec::secrets_tar(&files)
                .map_err(|e| StackError::Settings(format!("packing the secrets failed: {e}")))?,
        );
        let options = CreateContainerOptionsBuilder::default()
            .name(&self.names.gateway)
            .build();
        let created = self
            .docker
            .create_container(Some(options), body)
            .await
            .map_err(|e| StackError::api("create the VPN gateway", e))?;
        let upload = UploadToContainerOptionsBuilder::default().path("/").build();
        if let Err(e) = self
            .docker
            .upload_to_container(
                &created.id,
                Some(upload),
                body_full(bytes::Bytes::copy_from_slice(&tar)),
            )
            .await
        {
            let _ = engine::remove(&self.docker, &created.id).await;
            return Err(StackError::api("give the VPN gateway its secrets", e));
        }
        Ok(created.id)
    }

    /// The VPN's secrets from the Keychain, after gluetun's rules on which
    /// ones it needs (nothing is created when one is missing).
    async fn vpn_secrets(&self) -> Result<Vec<(SecretKind, SecretString)>, StackError> {
        let s = &self.secrets;
        let mut vpn = Vec::new();
        for kind in spec::vpn_secret_kinds(self.settings.vpn.vpn_type) {
            if let Some(value) = s.get(*kind).await? {
                vpn.push((*kind, value));
            }
        }
        if self.settings.vpn.port_forwarding && self.settings.vpn.vpn_type == VpnType::Wireguard {
            // Port forwarding with private internet access reads the
            // OpenVPN credentials (`portforward.go`).
            for kind in [SecretKind::OpenvpnUser, SecretKind::OpenvpnPassword] {
                if let Some(value) = s.get(kind).await? {
                    vpn.push((kind, value));
                }
            }
        }
        let present = Present(&vpn);
        let refusals = rules::check_secrets(&self.settings, &present);
        if let Some(first) = refusals.into_iter().next() {
            return Err(StackError::Refused {
                field: first.field,
                message: first.message,
            });
        }
        Ok(vpn)
    }

    /// The files the gateway reads its secrets from: the VPN's and the
    /// control server's auth config with the routes this release knows.
    async fn secret_files(
        &self,
        vpn: Vec<(SecretKind, SecretString)>,
        release: &GluetunRelease,
    ) -> Result<Vec<(String, SecretString)>, StackError> {
        let s = &self.secrets;
        let api_key = s
            .get_or_generate(SecretKind::ControlApiKey, gluetun::generate_api_key)
            .await?;
        let auth = auth_config_toml_with_routes(&api_key, app_routes_for(release));
        let secrets = GatewaySecrets {
            vpn,
            control_api_key: api_key,
        };
        Ok(spec::secret_files(&self.settings, &secrets, auth))
    }

    /// Poll the control server until the VPN runs with a public IP. The
    /// gateway is watched meanwhile: when it exits or restarts (gluetun exits
    /// at start-up on a setting it refuses, and its restart policy starts it
    /// again), connect stops at once with gluetun's `ERROR` line.
    async fn wait_tunnel(
        &self,
        client: &GluetunClient,
        gateway_id: &str,
    ) -> Result<PublicIp, StackError> {
        let started = Instant::now();
        let mut last;
        let first = engine::inspect(&self.docker, gateway_id)
            .await?
            .ok_or(StackError::TunnelLost("the gateway disappeared"))?;
        let mut checked = Instant::now();
        loop {
            if checked.elapsed() >= GATEWAY_WATCH_INTERVAL {
                checked = Instant::now();
                let now = engine::inspect(&self.docker, gateway_id)
                    .await?
                    .ok_or(StackError::TunnelLost("the gateway disappeared"))?;
                if let Some(state_code) = gateway_died(&first, &now) {
                    let logs = engine::log_tail(&self.docker, gateway_id, 40).await;
                    let since = engine::unix_seconds(&first.started_at).map_or(0, |s| s - 1);
                    let exit_code = engine::last_exit_code(&self.docker, gateway_id, since)
                        .await
                        .or((!now.running).then_some(state_code));
                    return Err(StackError::GatewayExited {
                        while_doing: "starting the VPN",
                        exit_code,
                        reason: super::error::gluetun_error_line(&logs),
                        logs,
                    });
                }
            }
            match tunnel_ip(client).await {
                Ok(Some(ip)) => return Ok(ip),
                Ok(None) => last = "the VPN runs, no public IP yet".to_owned(),
                Err(e @ GluetunError::Unauthorized { .. }) => return Err(e.into()),
                Err(GluetunError::Unreachable(_)) => {
                    last = "the control server does not answer yet".to_owned();
                }
                Err(GluetunError::Status { code, body, .. }) => {
                    last = format!("control server answered {code}: {body}");
                }
                Err(e) => last = e.to_string(),
            }
            if let Ok(status) = client.vpn_status().await {
                if status != VpnStatus::Running {
                    last = format!("VPN {status}");
                }
            }
            if started.elapsed() >= self.options.tunnel_timeout {
                return Err(StackError::TunnelTimeout {
                    seconds: self.options.tunnel_timeout.as_secs(),
                    last,
                    logs: engine::log_tail(&self.docker, gateway_id, 25).await,
                });
            }
            tokio::time::sleep(self.options.poll_interval).await;
        }
    }

    /// Make `service` run inside `gateway`'s current namespace: kept when it
    /// already does, started or restarted when it joined this gateway,
    /// recreated otherwise. Checks the tunnel right before and after.
    async fn ensure_service(
        &self,
        current: &Current,
        gateway: &Inspected,
        client: &GluetunClient,
        service: &str,
    ) -> Result<(Inspected, PreSeed), StackError> {
        let existing = current.service(service).cloned();
        // Made from other settings (another downloads folder, image…): it
        // is made anew, its config volume kept.
        let current_spec = spec::service_spec_hash(&self.settings, &self.names);
        let same_spec = |s: &Inspected| s.spec_hash.as_deref() == Some(current_spec.as_str());
        if let Some(s) = &existing {
            if s.running && s.in_namespace_of(gateway) && same_spec(s) {
                return Ok((s.clone(), PreSeed::Skipped));
            }
        }
        self.require_tunnel(client, "starting qBittorrent").await?;
        let (id, preseed) = match existing {
            Some(s) if s.joined() == Some(gateway.id.as_str()) && same_spec(&s) => {
                if s.running {
                    // Alive in a namespace the gateway has since left.
                    engine::stop(&self.docker, &s.id, self.options.stop_timeout_s).await?;
                }
                let preseed =
                    harden::preseed_conf(&self.docker, &self.settings, &self.secrets, &s.id)
                        .await?;
                engine::start(&self.docker, &s.id, "qBittorrent").await?;
                (s.id, preseed)
            }
            other => {
                if let Some(s) = other {
                    engine::stop(&self.docker, &s.id, self.options.stop_timeout_s).await?;
                    engine::remove(&self.docker, &s.id).await?;
                }
                let body = qbittorrent_body(&self.settings, &self.names, &gateway.id);
                let options = CreateContainerOptionsBuilder::default()
                    .name(&self.names.service(service))
                    .build();
                let created = self
                    .docker
                    .create_container(Some(options), body)
                    .await
                    .map_err(|e| StackError::api("create qBittorrent", e))?;
                // qBittorrent never starts with the image's defaults.
                let preseed =
                    harden::preseed_conf(&self.docker, &self.settings, &self.secrets, &created.id)
                        .await?;
                engine::start(&self.docker, &created.id, "qBittorrent").await?;
                (created.id, preseed)
            }
        };
        // Fail closed: if the tunnel dropped meanwhile, stop it again.
        if let Err(e) = self.require_tunnel(client, "qBittorrent started").await {
            engine::stop(&self.docker, &id, self.options.stop_timeout_s).await?;
            return Err(e);
        }
        let inspected = engine::inspect(&self.docker, &id)
            .await?
            .ok_or(StackError::TunnelLost("qBittorrent disappeared"))?;
        Ok((inspected, preseed))
    }

    async fn require_tunnel(
        &self,
        client: &GluetunClient,
        while_doing: &'static str,
    ) -> Result<PublicIp, StackError> {
        match tunnel_ip(client).await {
            Ok(Some(ip)) => Ok(ip),
            Ok(None) => Err(StackError::TunnelLost(while_doing)),
            Err(e) => Err(e.into()),
        }
    }

    /// Services first (gracefully, so qBittorrent saves its resume data),
    /// then the gateway.
    async fn remove_gateway_and_services(
        &self,
        current: &Current,
        gateway: &Inspected,
    ) -> Result<(), StackError> {
        for s in &current.services {
            if s.joined() == Some(gateway.id.as_str()) || s.joined() == Some(gateway.name.as_str())
            {
                engine::stop(&self.docker, &s.id, self.options.stop_timeout_s).await?;
                engine::remove(&self.docker, &s.id).await?;
            }
        }
        engine::remove(&self.docker, &gateway.id).await
    }

    /// The stack's named volumes: the gateway's, then qBittorrent's config.
    pub fn volumes(&self) -> [String; 2] {
        [
            self.names.gluetun_volume.clone(),
            self.names.config_volume(QBITTORRENT),
        ]
    }

    /// Each of the stack's volumes that exists, as the engine's tar stream
    /// of it (owners and modes kept), for a backup. A volume is read
    /// through a container that is never started: made from the
    /// qBittorrent image (no other image is needed), with no network, the
    /// volume mounted read-only at [`VOLUME_PATH`], removed afterwards.
    pub async fn read_volumes(&self) -> Result<Vec<(String, Vec<u8>)>, StackError> {
        let _operation = self.lock_operation().await?;
        let mut out = Vec::new();
        for volume in self.volumes() {
            if !engine::volume_exists(&self.docker, &volume).await? {
                continue;
            }
            let id = self.holder(&volume, false).await?;
            let tar = engine::download_tar(&self.docker, &id, VOLUME_PATH).await;
            engine::remove(&self.docker, &id).await?;
            let tar = tar?.ok_or_else(|| StackError::Api {
                action: format!("read the volume {volume}"),
                message: format!("{VOLUME_PATH} is missing in its holder"),
            })?;
            out.push((volume, tar));
        }
        Ok(out)
    }

    /// Put volumes back from [`Self::read_volumes`]' tar streams: each
    /// volume is removed, made again with the stack's labels, and filled.
    /// Only with no container of the stack (disconnect first): nothing
    /// runs on a volume while it is replaced.
    pub async fn restore_volumes(&self, volumes: &[(String, Vec<u8>)]) -> Result<(), StackError> {
        let _operation = self.lock_operation().await?;
        self.check_absent().await?;
        let ours = self.volumes();
        if let Some((name, _)) = volumes.iter().find(|(v, _)| !ours.contains(v)) {
            return Err(StackError::Refused {
                field: "restore".to_owned(),
                message: format!(
                    "the backup holds the volume {name}, which is not one of this profile's ({})",
                    ours.join(", ")
                ),
            });
        }
        let labels = base_labels(&self.settings, "stack", "stack");
        for (volume, tar) in volumes {
            engine::remove_volume(&self.docker, volume).await?;
            engine::ensure_volume(&self.docker, volume, labels.clone()).await?;
            let id = self.holder(volume, true).await?;
            let written = engine::upload_tar(&self.docker, &id, "/", tar.clone()).await;
            engine::remove(&self.docker, &id).await?;
            written?;
        }
        Ok(())
    }

    /// Refuse (naming what to do) while any container of the stack exists.
    pub async fn check_absent(&self) -> Result<(), StackError> {
        if self.current().await?.is_empty() {
            Ok(())
        } else {
            Err(StackError::Refused {
                field: "restore".to_owned(),
                message: "the stack exists: disconnect first, then restore".to_owned(),
            })
        }
    }

    /// A never-started container holding `volume` at [`VOLUME_PATH`] (one
    /// a crash left behind is removed first).
    async fn holder(&self, volume: &str, writable: bool) -> Result<String, StackError> {
        let name = format!("{}-volume-holder", self.names.project);
        engine::remove(&self.docker, &name).await?;
        let labels = std::collections::HashMap::from([(
            super::labels::HOLDER.to_owned(),
            self.settings.profile.clone(),
        )]);
        engine::create_holder(
            &self.docker,
            &name,
            &self.settings.stack.qbittorrent_image,
            volume,
            VOLUME_PATH,
            writable,
            labels,
        )
        .await
        .map_err(|e| match e {
            StackError::Api { message, .. } if message.contains("No such image") => {
                StackError::Refused {
                    field: "stack.qbittorrent_image".to_owned(),
                    message: format!(
                        "the image {} is not on this machine, and the volumes are reached \
                         through it: connect once (which pulls it), then try again",
                        self.settings.stack.qbittorrent_image
                    ),
                }
            }
            other => other,
        })
    }

    /// Disconnect: stop the services gracefully, then remove every container
    /// of the stack. Volumes, the network and the downloads stay.
    ///
    /// The target becomes `Disconnected` first, so a connect on its way (in
    /// any process) stops and removes what it started; this then waits for
    /// its lock.
    pub async fn disconnect(&self, progress: ProgressFn<'_>) -> Result<usize, StackError> {
        self.set_target(Target::Disconnected)?;
        let _operation = self.lock_operation().await?;
        self.check_names().await?;
        let current = self.current().await?;
        let mut removed = 0;
        for s in &current.services {
            if s.running {
                progress(Progress::Note {
                    message: format!("stopping {} (saving its state)", s.name),
                });
            }
            engine::stop(&self.docker, &s.id, self.options.stop_timeout_s).await?;
            engine::remove(&self.docker, &s.id).await?;
            removed += 1;
        }
        for gw in current.gateway.iter().chain(&current.stray_gateways) {
            progress(Progress::Note {
                message: format!("removing {}", gw.name),
            });
            engine::remove(&self.docker, &gw.id).await?;
            removed += 1;
        }
        if let Some(path) = &self.record {
            let _ = std::fs::remove_file(path);
        }
        Ok(removed)
    }

    /// Remove everything without ceremony (after a failed connect).
    async fn teardown(&self) -> Result<(), StackError> {
        let current = self.current().await?;
        for s in &current.services {
            engine::stop(&self.docker, &s.id, self.options.stop_timeout_s).await?;
            engine::remove(&self.docker, &s.id).await?;
        }
        for gw in current.gateway.iter().chain(&current.stray_gateways) {
            engine::remove(&self.docker, &gw.id).await?;
        }
        Ok(())
    }

    /// Read what exists and arrive at a consistent state, without starting
    /// anything the user did not ask for:
    /// - no gateway: leftover services are removed (disconnected);
    /// - a gateway that never started (a connect cut short before its start)
    ///   is removed with its services;
    /// - a gateway that does not run: its services are stopped;
    /// - a running gateway with the tunnel up: every service runs inside it
    ///   (started, restarted or recreated: gluetun #641) and is hardened
    ///   again when it was (re)started;
    /// - a running gateway with the tunnel down: nothing is started; services
    ///   outside its namespace are stopped.
    ///
    /// When the target is `Disconnected`, whatever exists is removed instead
    /// (services stopped gracefully first): nothing the user turned off, or
    /// a cancelled connect left, runs again.
    pub async fn reconcile(&self) -> Result<Reconciled, StackError> {
        self.reconcile_sparing(Duration::ZERO).await
    }

    /// [`Self::reconcile`] as the healer runs it: a gateway created less
    /// than [`FRESH_GATEWAY`] ago and not started yet is left alone
    /// ([`Reconciled::Starting`]), since whoever created it (compose or
    /// Watchtower recreating it, which create and then start) starts it
    /// next; a connect's own never holds the operation lock's place. Once
    /// older, it is a connect cut short and removed as usual.
    pub async fn heal_reconcile(&self) -> Result<Reconciled, StackError> {
        self.reconcile_sparing(FRESH_GATEWAY).await
    }

    async fn reconcile_sparing(&self, fresh: Duration) -> Result<Reconciled, StackError> {
        let _operation = self.lock_operation().await?;
        self.check_names().await?;
        let current = self.current().await?;
        let mut actions = Vec::new();
        if self.target.as_ref().and_then(TargetFile::target) == Some(Target::Disconnected) {
            for s in &current.services {
                engine::stop(&self.docker, &s.id, self.options.stop_timeout_s).await?;
                engine::remove(&self.docker, &s.id).await?;
                actions.push(format!("removed {} (the target is disconnected)", s.name));
            }
            for gw in current.gateway.iter().chain(&current.stray_gateways) {
                engine::remove(&self.docker, &gw.id).await?;
                actions.push(format!("removed {} (the target is disconnected)", gw.name));
            }
            return Ok(if actions.is_empty() {
                Reconciled::Disconnected
            } else {
                Reconciled::Repaired {
                    actions,
                    now: Box::new(Reconciled::Disconnected),
                }
            });
        }
        for stray in &current.stray_gateways {
            self.remove_gateway_and_services(&current, stray).await?;
            actions.push(format!("removed the stray gateway {}", stray.name));
        }
        let now = match &current.gateway {
            None => {
                for s in &current.services {
                    engine::stop(&self.docker, &s.id, self.options.stop_timeout_s).await?;
                    engine::remove(&self.docker, &s.id).await?;
                    actions.push(format!("removed {} (no gateway)", s.name));
                }
                Reconciled::Disconnected
            }
            Some(gw) if gw.state == "created" && age(&gw.created_at) < fresh => {
                Reconciled::Starting
            }
            Some(gw) if gw.state == "created" => {
                self.remove_gateway_and_services(&current, gw).await?;
                actions.push(format!("removed {} (created, never started)", gw.name));
                Reconciled::Disconnected
            }
            Some(gw) if !gw.running => {
                for s in current.services.iter().filter(|s| s.running) {
                    engine::stop(&self.docker, &s.id, self.options.stop_timeout_s).await?;
                    actions.push(format!("stopped {} (the gateway is not running)", s.name));
                }
                Reconciled::Stopped
            }
            Some(gw) => {
                let client = self.gateway_client().await?;
                match tunnel_ip(client).await {
                    Ok(Some(_)) => {
                        for name in [QBITTORRENT] {
                            let before = current.service(name).cloned();
                            let spec = spec::service_spec_hash(&self.settings, &self.names);
                            let fine = before.as_ref().is_some_and(|s| {
                                s.running
                                    && s.in_namespace_of(gw)
                                    && s.spec_hash.as_deref() == Some(spec.as_str())
                            });
                            if let (true, Some(s)) = (fine, &before) {
                                // A crash between its start and its hardening
                                // leaves it unsecured: secure it again (read
                                // back), quietly when nothing was amiss.
                                self.harden(s, client, PreSeed::Skipped).await?;
                                continue;
                            }
                            let (service, preseed) =
                                self.ensure_service(&current, gw, client, name).await?;
                            actions.push(format!("started {} inside the gateway", service.name));
                            self.harden(&service, client, preseed).await?;
                        }
                        Reconciled::Connected
                    }
                    other => {
                        let status = match other {
                            Ok(_) => "the VPN has no public IP".to_owned(),
                            Err(e) => e.to_string(),
                        };
                        for s in current.services.iter().filter(|s| s.running) {
                            if !s.in_namespace_of(gw) {
                                engine::stop(&self.docker, &s.id, self.options.stop_timeout_s)
                                    .await?;
                                actions.push(format!("stopped {} (outside the tunnel)", s.name));
                            }
                        }
                        Reconciled::TunnelDown { status }
                    }
                }
            }
        };
        Ok(if actions.is_empty() {
            now
        } else {
            Reconciled::Repaired {
                actions,
                now: Box::new(now),
            }
        })
    }
}

/// The public IP when the VPN runs and has one.
pub async fn tunnel_ip(client: &GluetunClient) -> Result<Option<PublicIp>, GluetunError> {
    if client.vpn_status().await? != VpnStatus::Running {
        return Ok(None);
    }
    let ip = client.public_ip().await?;
    Ok(ip.public_ip.is_some().then_some(ip))
}

/// The gluetun release an image reference names (its tag); untagged and
/// unknown tags count as the newest.
/// The gateway's release: its `org.opencontainers.image.version` label
/// when it has one, else its tag; a digest without a label is
/// [`GluetunRelease::Unknown`].
pub fn gateway_release(image: &str, version_label: Option<&str>) -> GluetunRelease {
    if let Some(label) = version_label.filter(|l| !l.trim().is_empty()) {
        return GluetunRelease::parse(label);
    }
    let name = image.split_once('@').map_or(image, |(n, _)| n);
    if image.contains('@') && !name.rsplit('/').next().unwrap_or(name).contains(':') {
        return GluetunRelease::Unknown;
    }
    let (_, tag) = engine::split_image(name);
    GluetunRelease::parse(&tag)
}

/// Held for one change of the stack; dropping it lets the next one go.
pub(crate) struct OperationGuard<'a> {
    _local: tokio::sync::MutexGuard<'a, ()>,
    _file: super::lock::ProfileLock,
}

/// How often connect looks at the gateway container while it waits for the
/// tunnel.
const GATEWAY_WATCH_INTERVAL: Duration = Duration::from_millis(400);

/// The exit code when the gateway died between two inspections: it is not
/// running, or it restarted (its restart count or start time changed).
fn gateway_died(first: &Inspected, now: &Inspected) -> Option<i64> {
    let restarted = now.restart_count != first.restart_count || now.started_at != first.started_at;
    (!now.running || now.state == "restarting" || restarted).then_some(now.exit_code)
}

/// [`rules::SecretPresence`] over the secrets read for one connect.
struct Present<'a>(&'a [(SecretKind, SecretString)]);

impl rules::SecretPresence for Present<'_> {
    fn has(&self, kind: SecretKind) -> bool {
        self.0
            .iter()
            .any(|(k, v)| *k == kind && !v.expose_secret().trim().is_empty())
    }

    fn user_is_ivpn_account_id(&self) -> bool {
        self.0.iter().any(|(k, v)| {
            *k == SecretKind::OpenvpnUser && rules::is_ivpn_account_id(v.expose_secret().trim())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_from_image_tags() {
        assert_eq!(
            gateway_release("qmcgaw/gluetun:v3.40.0", None),
            GluetunRelease::Tagged(3, 40, 0)
        );
        assert_eq!(
            gateway_release("qmcgaw/gluetun", None),
            GluetunRelease::Latest
        );
        assert!(gateway_release("tvpn-lab/gateway:latest", None).has_portforward_route());
        assert!(!gateway_release("qmcgaw/gluetun:v3.40.1", None).has_portforward_route());
        // The label wins over the tag; a digest alone is not "the newest".
        assert_eq!(
            gateway_release("qmcgaw/gluetun:latest", Some("v3.40.4")),
            GluetunRelease::Tagged(3, 40, 4)
        );
        let digest = "qmcgaw/gluetun@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(gateway_release(digest, None), GluetunRelease::Unknown);
        assert!(!gateway_release(digest, None).has_portforward_route());
        assert_eq!(
            gateway_release(digest, Some("v3.41.1")),
            GluetunRelease::Tagged(3, 41, 1)
        );
    }

    #[test]
    fn steps_number_in_order() {
        let mut seen = Vec::new();
        let mut sink = |p: Progress| seen.push(p);
        let mut f: ProgressFn<'_> = &mut sink;
        let token = CancelToken::new();
        let mut steps = Steps {
            progress: &mut f,
            current: None,
            intent: Intent {
                token: &token,
                target: None,
            },
        };
        steps.begin(ConnectStep::Preparing).unwrap();
        steps.begin(ConnectStep::Images).unwrap();
        steps.finish();
        assert_eq!(
            seen,
            vec![
                Progress::Step {
                    step: ConnectStep::Preparing,
                    number: 1,
                    total: 7
                },
                Progress::StepDone {
                    step: ConnectStep::Preparing,
                    number: 1,
                    total: 7
                },
                Progress::Step {
                    step: ConnectStep::Images,
                    number: 2,
                    total: 7
                },
                Progress::StepDone {
                    step: ConnectStep::Images,
                    number: 2,
                    total: 7
                },
            ]
        );
    }
}
