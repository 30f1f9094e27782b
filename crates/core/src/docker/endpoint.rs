//! Finding the Docker engine.
//!
//! A GUI app on macOS does not inherit the shell's `DOCKER_HOST`, and Docker
//! Desktop, OrbStack and Colima each put their socket somewhere else. So the
//! app tries, in order: the settings override, `DOCKER_HOST`, the current
//! docker context from `~/.docker/config.json`, then the well-known sockets.
//! The first engine that answers wins, and its API version is negotiated
//! (Debian's engine speaks 1.41).

use std::fmt;
use std::path::{Path, PathBuf};

use bollard::Docker;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Seconds bollard waits for any one request.
const REQUEST_TIMEOUT_SECS: u64 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointSource {
    Settings,
    DockerHostEnv,
    DockerContext,
    KnownSocket,
}

impl fmt::Display for EndpointSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EndpointSource::Settings => "settings",
            EndpointSource::DockerHostEnv => "DOCKER_HOST",
            EndpointSource::DockerContext => "docker context",
            EndpointSource::KnownSocket => "well-known socket",
        })
    }
}

/// One place the engine might be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// `unix:///path` or `tcp://host:port`.
    pub uri: String,
    pub source: EndpointSource,
}

/// The engine that answered.
#[derive(Debug, Clone, Serialize)]
pub struct Connected {
    pub uri: String,
    pub source: EndpointSource,
    pub engine_version: String,
    pub api_version: String,
    pub os: String,
    #[serde(skip)]
    pub docker: Docker,
}

#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error("Docker is not running (tried {}).{}", tried_list(.tried), start_hint())]
    NotRunning { tried: Vec<(Candidate, String)> },
    #[error("Docker request failed: {0}")]
    Api(#[from] bollard::errors::Error),
}

fn tried_list(tried: &[(Candidate, String)]) -> String {
    if tried.is_empty() {
        return "no endpoint found".to_owned();
    }
    tried
        .iter()
        .map(|(c, why)| format!("{} from {}: {why}", c.uri, c.source))
        .collect::<Vec<_>>()
        .join("; ")
}

fn start_hint() -> &'static str {
    if cfg!(target_os = "macos") {
        " Start Docker Desktop (`open -a Docker`), OrbStack or Colima, or set the endpoint in Settings."
    } else {
        " Start the engine (`dockerd`), or set the endpoint in Settings."
    }
}

/// Every place to try, in order, without duplicates. An engine chosen in
/// Settings is the only candidate: the app never silently uses another one.
/// Sockets that don't exist are left out.
pub fn candidates(
    settings_host: Option<&str>,
    env_host: Option<&str>,
    home: Option<&Path>,
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let mut push = |uri: String, source| {
        if !out.iter().any(|c| c.uri == uri) {
            out.push(Candidate { uri, source });
        }
    };
    if let Some(h) = settings_host.filter(|h| !h.is_empty()) {
        push(h.to_owned(), EndpointSource::Settings);
        return out;
    }
    if let Some(h) = env_host.filter(|h| !h.is_empty()) {
        push(h.to_owned(), EndpointSource::DockerHostEnv);
    }
    if let Some(home) = home {
        if let Some(h) = context_host(home) {
            push(h, EndpointSource::DockerContext);
        }
    }
    let mut sockets: Vec<PathBuf> = Vec::new();
    if let Some(home) = home {
        sockets.push(home.join(".docker/run/docker.sock"));
    }
    sockets.push(PathBuf::from("/var/run/docker.sock"));
    if let Some(home) = home {
        sockets.push(home.join(".orbstack/run/docker.sock"));
        sockets.push(home.join(".colima/default/docker.sock"));
    }
    for s in sockets {
        if s.exists() {
            push(
                format!("unix://{}", s.display()),
                EndpointSource::KnownSocket,
            );
        }
    }
    out
}

/// The endpoint of the current docker context, if one other than `default`
/// is selected in `~/.docker/config.json`.
fn context_host(home: &Path) -> Option<String> {
    let docker_dir = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".docker"));
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(docker_dir.join("config.json")).ok()?).ok()?;
    let name = config.get("currentContext")?.as_str()?;
    if name.is_empty() || name == "default" {
        return None;
    }
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let meta: serde_json::Value = serde_json::from_slice(
        &std::fs::read(docker_dir.join("contexts/meta").join(hex).join("meta.json")).ok()?,
    )
    .ok()?;
    meta.pointer("/Endpoints/docker/Host")?
        .as_str()
        .map(str::to_owned)
}

fn client_for(uri: &str) -> Result<Docker, bollard::errors::Error> {
    if let Some(path) = uri.strip_prefix("unix://") {
        Docker::connect_with_unix(path, REQUEST_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
    } else if let Some(rest) = uri.strip_prefix("tcp://") {
        Docker::connect_with_http(
            &format!("http://{rest}"),
            REQUEST_TIMEOUT_SECS,
            bollard::API_DEFAULT_VERSION,
        )
    } else {
        Docker::connect_with_http(uri, REQUEST_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
    }
}

/// Try each candidate; the first engine that answers `version` wins.
pub async fn connect(settings_host: Option<&str>) -> Result<Connected, DockerError> {
    let env_host = std::env::var("DOCKER_HOST").ok();
    let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
    let list = candidates(settings_host, env_host.as_deref(), home.as_deref());
    let mut tried = Vec::new();
    for cand in list {
        match try_one(&cand).await {
            Ok(c) => return Ok(c),
            Err(why) => {
                tracing::debug!(uri = %cand.uri, source = %cand.source, %why, "docker endpoint did not answer");
                tried.push((cand, why));
            }
        }
    }
    Err(DockerError::NotRunning { tried })
}

async fn try_one(cand: &Candidate) -> Result<Connected, String> {
    let client = client_for(&cand.uri).map_err(|e| e.to_string())?;
    // A short probe first, so a dead socket doesn't cost the full timeout.
    let probe = tokio::time::timeout(std::time::Duration::from_secs(3), client.ping()).await;
    match probe {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(short_error(&e)),
        Err(_) => return Err("no answer within 3 s".to_owned()),
    }
    let client = client
        .negotiate_version()
        .await
        .map_err(|e| short_error(&e))?;
    let v = client.version().await.map_err(|e| short_error(&e))?;
    Ok(Connected {
        uri: cand.uri.clone(),
        source: cand.source,
        engine_version: v.version.unwrap_or_default(),
        api_version: v.api_version.unwrap_or_default(),
        os: v.os.unwrap_or_default(),
        docker: client,
    })
}

fn short_error(e: &bollard::errors::Error) -> String {
    let s = e.to_string();
    s.lines().next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_settings_env_context_then_sockets_without_duplicates() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        std::fs::create_dir_all(h.join(".docker/run")).unwrap();
        std::fs::create_dir_all(h.join(".colima/default")).unwrap();
        std::fs::write(h.join(".docker/run/docker.sock"), b"").unwrap();
        std::fs::write(h.join(".colima/default/docker.sock"), b"").unwrap();
        // A context named "colima" whose endpoint is the colima socket.
        let hex: String = Sha256::digest(b"colima")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let meta = h.join(".docker/contexts/meta").join(hex);
        std::fs::create_dir_all(&meta).unwrap();
        let colima = format!("unix://{}/.colima/default/docker.sock", h.display());
        std::fs::write(
            meta.join("meta.json"),
            serde_json::json!({"Name":"colima","Endpoints":{"docker":{"Host": colima}}})
                .to_string(),
        )
        .unwrap();
        std::fs::write(
            h.join(".docker/config.json"),
            r#"{"currentContext":"colima"}"#,
        )
        .unwrap();

        // The engine chosen in Settings is the only one tried.
        let chosen = candidates(
            Some("tcp://10.0.0.5:2375"),
            Some("unix:///env.sock"),
            Some(h),
        );
        assert_eq!(
            chosen,
            vec![Candidate {
                uri: "tcp://10.0.0.5:2375".to_owned(),
                source: EndpointSource::Settings
            }]
        );

        let got = candidates(None, Some("unix:///env.sock"), Some(h));
        let sources: Vec<_> = got.iter().map(|c| c.source).collect();
        assert_eq!(got[0].uri, "unix:///env.sock");
        assert_eq!(got[1].uri, colima);
        assert_eq!(
            &sources[..3],
            &[
                EndpointSource::DockerHostEnv,
                EndpointSource::DockerContext,
                EndpointSource::KnownSocket
            ]
        );
        assert_eq!(
            got[2].uri,
            format!("unix://{}/.docker/run/docker.sock", h.display())
        );
        // The colima socket appears once, as the context.
        assert_eq!(got.iter().filter(|c| c.uri == colima).count(), 1);
    }

    #[test]
    fn default_context_is_ignored() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".docker")).unwrap();
        std::fs::write(
            home.path().join(".docker/config.json"),
            r#"{"currentContext":"default"}"#,
        )
        .unwrap();
        assert!(context_host(home.path()).is_none());
    }

    #[tokio::test]
    async fn a_dead_endpoint_gives_not_running_naming_what_was_tried() {
        let dir = tempfile::tempdir().unwrap();
        let sock = format!("unix://{}/nothing.sock", dir.path().display());
        let cand = Candidate {
            uri: sock.clone(),
            source: EndpointSource::Settings,
        };
        let why = try_one(&cand).await.unwrap_err();
        let err = DockerError::NotRunning {
            tried: vec![(cand, why)],
        };
        let msg = err.to_string();
        assert!(msg.starts_with("Docker is not running"), "{msg}");
        assert!(msg.contains(&sock), "{msg}");
    }
}
