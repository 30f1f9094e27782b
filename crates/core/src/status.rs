//! The one-shot status report behind `tvpn status`.

use serde::Serialize;

use crate::docker::{self, Connected};
use crate::gluetun::GluetunClient;
use crate::paths::AppPaths;
use crate::secrets::{KeyringStore, SecretKind, Secrets};
use crate::settings::Settings;
use crate::stack::{self, Role, StackObservation};

/// What the engine said, or why it could not be reached.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EngineReport {
    Running {
        endpoint: String,
        source: docker::EndpointSource,
        engine_version: String,
        api_version: String,
    },
    Unavailable {
        error: String,
    },
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConfigReport {
    /// No settings file yet: the app offers onboarding or the demo.
    NotConfigured {
        path: String,
    },
    Configured {
        path: String,
        profile: String,
        provider: String,
        vpn_type: String,
    },
    Invalid {
        path: String,
        error: String,
    },
}

/// What the gateway's control server says, when the stack runs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VpnReport {
    /// `running`, `stopped`, … (empty when the control server did not answer).
    pub status: String,
    pub public_ip: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub forwarded_ports: Vec<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub config: ConfigReport,
    pub docker: EngineReport,
    /// `None` when the engine could not be asked.
    pub stack: Option<StackObservation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack_error: Option<String>,
    /// Asked only when the gateway runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpn: Option<VpnReport>,
}

/// Load the settings for a report; errors become part of the report.
pub fn load_config(paths: &AppPaths) -> (ConfigReport, Option<Settings>) {
    let path = paths.settings_file();
    let shown = path.display().to_string();
    match Settings::load(&path) {
        Ok(None) => (ConfigReport::NotConfigured { path: shown }, None),
        Ok(Some(s)) => (
            ConfigReport::Configured {
                path: shown,
                profile: s.profile.clone(),
                provider: s.vpn.provider.clone(),
                vpn_type: s.vpn.vpn_type.as_str().to_owned(),
            },
            Some(s),
        ),
        Err(e) => (
            ConfigReport::Invalid {
                path: shown,
                error: e.to_string(),
            },
            None,
        ),
    }
}

/// Gather config, engine and stack state. Never fails: each part reports its
/// own problem.
pub async fn collect(paths: &AppPaths) -> (StatusReport, Option<Connected>) {
    let (config, settings) = load_config(paths);
    let host = settings.as_ref().and_then(|s| s.docker.host.clone());
    let profile = settings
        .as_ref()
        .map_or_else(|| "default".to_owned(), |s| s.profile.clone());
    match docker::connect(host.as_deref()).await {
        Err(e) => (
            StatusReport {
                config,
                docker: EngineReport::Unavailable {
                    error: e.to_string(),
                },
                stack: None,
                stack_error: None,
                vpn: None,
            },
            None,
        ),
        Ok(conn) => {
            let (stack, stack_error) = match stack::observe(&conn.docker, &profile).await {
                Ok(o) => (Some(o), None),
                Err(e) => (None, Some(e.to_string())),
            };
            let gateway_runs = stack.as_ref().is_some_and(|s| {
                s.containers
                    .iter()
                    .any(|c| c.role == Role::Gateway && c.state == "running")
            });
            let vpn = match (&settings, gateway_runs) {
                (Some(settings), true) => Some(ask_gateway(settings).await),
                _ => None,
            };
            (
                StatusReport {
                    config,
                    docker: EngineReport::Running {
                        endpoint: conn.uri.clone(),
                        source: conn.source,
                        engine_version: conn.engine_version.clone(),
                        api_version: conn.api_version.clone(),
                    },
                    stack,
                    stack_error,
                    vpn,
                },
                Some(conn),
            )
        }
    }
}

/// Ask the gateway's control server, with the API key from the keychain
/// (never generating one: status changes nothing).
async fn ask_gateway(settings: &Settings) -> VpnReport {
    let failed = |error: String| VpnReport {
        error: Some(error),
        ..VpnReport::default()
    };
    let store = match KeyringStore::open() {
        Ok(s) => s,
        Err(e) => return failed(e.to_string()),
    };
    let secrets = Secrets::new(std::sync::Arc::new(store), settings.profile.clone());
    let key = match secrets.get(SecretKind::ControlApiKey).await {
        Ok(k) => k,
        Err(e) => return failed(e.to_string()),
    };
    let url = format!("http://127.0.0.1:{}", settings.stack.control_port);
    let client = match GluetunClient::new(&url, key) {
        Ok(c) => c,
        Err(e) => return failed(e.to_string()),
    };
    let mut report = VpnReport::default();
    match client.vpn_status().await {
        Ok(s) => report.status = s.to_string(),
        Err(e) => return failed(e.to_string()),
    }
    match client.public_ip().await {
        Ok(ip) => {
            report.public_ip = ip.public_ip.map(|a| a.to_string());
            report.country = ip.country;
            report.city = ip.city;
        }
        Err(e) => report.error = Some(e.to_string()),
    }
    if settings.vpn.port_forwarding {
        match client.forwarded_ports().await {
            Ok(p) => report.forwarded_ports = p,
            Err(e) => report.error = Some(e.to_string()),
        }
    }
    report
}
