//! What can go wrong while driving the stack, in words a user can act on.

use crate::docker::DockerError;
use crate::gluetun::GluetunError;
use crate::progress::ConnectStep;
use crate::qbittorrent::QbitError;
use crate::secrets::SecretError;

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error(
        "Torrent VPN is not set up yet (no {path}); set it up in the app, import a .env with \
         `tvpn import-env`, or try the demo"
    )]
    NotConfigured { path: String },
    #[error(transparent)]
    Docker(#[from] DockerError),
    #[error("Docker refused to {action}: {message}")]
    Api { action: String, message: String },
    #[error(
        "port {port} on {address} is already in use by another program; free it, or choose \
         another {what} port in Settings"
    )]
    PortInUse {
        port: u16,
        address: String,
        what: &'static str,
    },
    #[error(
        "the image {image} is not on this machine and could not be pulled ({reason}); pull it \
         when a registry is reachable, or choose another image in Settings"
    )]
    ImageMissing { image: String, reason: String },
    #[error("the network {0:?} does not exist; create it or change stack.network in Settings")]
    NetworkMissing(String),
    #[error("cannot create the downloads folder {path}: {reason}")]
    DownloadsDir { path: String, reason: String },
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("{field}: {message}")]
    Refused { field: String, message: String },
    #[error("{}", gateway_exited(.while_doing, *.exit_code, .reason.as_deref(), .logs))]
    GatewayExited {
        while_doing: &'static str,
        /// `None` when the engine no longer tells (restarted at once).
        exit_code: Option<i64>,
        /// gluetun's `ERROR` line, when it logged one.
        reason: Option<String>,
        logs: String,
    },
    #[error(
        "the VPN tunnel did not come up within {seconds} s (last status: {last}); the gateway's \
         last log lines:\n{logs}"
    )]
    TunnelTimeout {
        seconds: u64,
        last: String,
        logs: String,
    },
    #[error("the gateway's tunnel went down while {0}; qBittorrent was not started")]
    TunnelLost(&'static str),
    #[error(transparent)]
    Gateway(#[from] GluetunError),
    #[error("qBittorrent's Web UI did not answer within {seconds} s; its last log lines:\n{logs}")]
    WebUiTimeout { seconds: u64, logs: String },
    #[error(transparent)]
    Qbittorrent(#[from] QbitError),
    #[error(
        "qBittorrent already has a Web UI password that is not in the Keychain: store it with \
         `tvpn secrets set qbittorrent-password`, or remove the volume {volume} to start \
         qBittorrent's settings afresh"
    )]
    UnknownQbittorrentPassword { volume: String },
    #[error(
        "qBittorrent did not keep the setting {key} (asked for {wanted}, it reports {actual})"
    )]
    HardeningNotApplied {
        key: &'static str,
        wanted: String,
        actual: String,
    },
    #[error("the settings are not usable: {0}")]
    Settings(String),
    #[error("cancelled")]
    Cancelled,
    #[error("{step} failed: {source}")]
    AtStep {
        step: &'static str,
        #[source]
        source: Box<StackError>,
    },
}

impl StackError {
    pub(crate) fn api(action: impl Into<String>, e: bollard::errors::Error) -> Self {
        StackError::Api {
            action: action.into(),
            message: docker_message(&e),
        }
    }

    pub(crate) fn at(self, step: ConnectStep) -> Self {
        match self {
            already @ StackError::AtStep { .. } => already,
            other => StackError::AtStep {
                step: step.label(),
                source: Box::new(other),
            },
        }
    }

    /// The error under any step context.
    pub fn root(&self) -> &StackError {
        match self {
            StackError::AtStep { source, .. } => source.root(),
            other => other,
        }
    }
}

/// The engine's own message, without bollard's wrapping.
pub(crate) fn docker_message(e: &bollard::errors::Error) -> String {
    match e {
        bollard::errors::Error::DockerResponseServerError {
            status_code,
            message,
        } => format!("{message} ({status_code})"),
        other => other.to_string(),
    }
}

/// Whether an engine error is a 404.
pub(crate) fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// Whether an engine error is a 304 (already started / already stopped).
pub(crate) fn is_not_modified(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 304,
            ..
        }
    )
}

fn gateway_exited(
    while_doing: &str,
    exit_code: Option<i64>,
    reason: Option<&str>,
    logs: &str,
) -> String {
    let how = match exit_code {
        Some(code) => format!("exit code {code}"),
        None => "restarted by Docker".to_owned(),
    };
    match reason {
        Some(reason) => format!(
            "the VPN gateway exited while {while_doing} ({how}): gluetun says \"{reason}\"; its \
             last log lines:\n{logs}"
        ),
        None => format!(
            "the VPN gateway exited while {while_doing} ({how}); its last log lines:\n{logs}"
        ),
    }
}

/// gluetun's fatal error in its log: the last `ERROR` line that is not the
/// control server's request log (`[http server]`), without its time stamp.
pub fn gluetun_error_line(logs: &str) -> Option<String> {
    logs.lines()
        .filter_map(|line| {
            let (_, rest) = line.split_once(" ERROR ")?;
            (!rest.starts_with("[http server]")).then(|| rest.trim().to_owned())
        })
        .next_back()
}
