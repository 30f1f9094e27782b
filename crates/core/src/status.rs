//! The one-shot status report behind `tvpn status`.

use serde::Serialize;

use crate::docker::{self, Connected};
use crate::paths::AppPaths;
use crate::settings::Settings;
use crate::stack::{self, StackObservation};

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

#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub config: ConfigReport,
    pub docker: EngineReport,
    /// `None` when the engine could not be asked.
    pub stack: Option<StackObservation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack_error: Option<String>,
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
            },
            None,
        ),
        Ok(conn) => {
            let (stack, stack_error) = match stack::observe(&conn.docker, &profile).await {
                Ok(o) => (Some(o), None),
                Err(e) => (None, Some(e.to_string())),
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
                },
                Some(conn),
            )
        }
    }
}
