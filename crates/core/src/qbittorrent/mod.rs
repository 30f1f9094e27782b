//! A client for qBittorrent's Web UI API (v2), for 4.x and 5.x.
//!
//! Facts it relies on (see `qbittorrent.md` §5–6 in the shared reference):
//! - Login is `POST /api/v2/auth/login`; success is `200 Ok.` (≤ 5.1) or
//!   `204` (5.2+); bad credentials are `200 Fails.` (≤ 5.1) or `401` (5.2+);
//!   `403` means the address is banned (5 failures, 1 h by default). The
//!   client never retries a refused password.
//! - The session cookie is `SID` (≤ 5.1) or `QBT_SID_<port>` (5.2+): a cookie
//!   jar handles both.
//! - CSRF: a request with neither `Origin` nor `Referer` passes, so none is
//!   sent. Host-header validation wants the port in `Host` to be the Web UI's
//!   own port: publish it with the same host and container port.
//! - Web API 2.11.0 (qBittorrent 5.0) renamed `torrents/pause|resume` to
//!   `torrents/stop|start` (the old names are gone).
//!
//! Passwords travel as [`SecretString`] and are exposed only while building
//! the request; errors never carry them.

pub mod conf;
mod maindata;
#[cfg(test)]
mod tests;
mod types;

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::OsRng;
use rand::Rng;
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::gluetun::{root_cause, snippet};

pub use maindata::{
    MainData, MainDataState, ServerState, ServerStatePatch, TorrentPatch, TorrentSummary,
};
pub use types::{
    is_active, is_stopped_state, ApiVersion, ConnectionStatus, Preferences, TorrentInfo,
    TransferInfo, ACTIVE_STATES,
};

/// How long to wait for the TCP connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long any one request may take (a large `maindata` included).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The Web UI's default user on the linuxserver image.
pub const DEFAULT_USERNAME: &str = "admin";
/// qBittorrent's own Web UI refuses shorter passwords.
pub const MIN_PASSWORD_LEN: usize = 6;

const TEMP_PASSWORD_MARKER: &str = "A temporary password is provided for this session: ";

/// qBittorrent failures, in words a user can act on. None carries a
/// password.
#[derive(Debug, thiserror::Error)]
pub enum QbitError {
    #[error("invalid qBittorrent Web UI address {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("could not set up the HTTP client: {0}")]
    Client(String),
    #[error("qBittorrent's Web UI is unreachable: {0}")]
    Unreachable(String),
    /// The login was refused. Not retried: qBittorrent bans an address after
    /// a few failures.
    #[error(
        "qBittorrent refused the password for user {username:?}; the app does not retry \
         (qBittorrent bans an address after repeated failures): check the qBittorrent password \
         in the Keychain"
    )]
    WrongPassword { username: String },
    #[error(
        "qBittorrent has banned this address after failed logins; it lifts after \
         web_ui_ban_duration (1 h by default), or when qBittorrent restarts"
    )]
    Banned,
    /// `403` on an API call: no valid session.
    #[error(
        "qBittorrent refused {route}: not logged in (the session expired or was never opened)"
    )]
    NotLoggedIn { route: String },
    /// `401` on an API call: the request was turned away before auth.
    #[error(
        "qBittorrent rejected {route} (401: {body}): its Host-header or CSRF check failed, or \
         the session is missing; publish the Web UI with the same host and container port \
         (WEBUI_PORT) and log in first"
    )]
    Rejected { route: String, body: String },
    #[error("qBittorrent did not add the torrent: {0}")]
    AddFailed(String),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("qBittorrent answered {code} to {route}: {body}")]
    Status {
        route: String,
        code: u16,
        body: String,
    },
    #[error("unexpected answer from qBittorrent to {route}: {message}")]
    Decode { route: String, message: String },
}

impl QbitError {
    /// For calls whose request carried a password: drop whatever text the
    /// server sent back, in case it echoes the request.
    fn without_server_text(self) -> Self {
        const HIDDEN: &str = "(answer not shown: the request carried a password)";
        match self {
            QbitError::Rejected { route, .. } => QbitError::Rejected {
                route,
                body: HIDDEN.to_owned(),
            },
            QbitError::AddFailed(_) => QbitError::AddFailed(HIDDEN.to_owned()),
            QbitError::Status { route, code, .. } => QbitError::Status {
                route,
                code,
                body: HIDDEN.to_owned(),
            },
            QbitError::Decode { route, .. } => QbitError::Decode {
                route,
                message: HIDDEN.to_owned(),
            },
            other => other,
        }
    }
}

/// The temporary Web UI password qBittorrent (4.6.1+) prints when none is
/// set: the last `A temporary password is provided for this session: X` in
/// the log text.
pub fn parse_temporary_password(log_text: &str) -> Option<SecretString> {
    log_text
        .match_indices(TEMP_PASSWORD_MARKER)
        .filter_map(|(at, _)| {
            let rest = &log_text[at + TEMP_PASSWORD_MARKER.len()..];
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            (end > 0).then(|| &rest[..end])
        })
        .last()
        .map(|p| SecretString::from(p.to_owned()))
}

/// `line` with the temporary password qBittorrent printed in it replaced by
/// `[redacted]`; other lines as they are.
pub fn redact_temporary_password(line: &str) -> std::borrow::Cow<'_, str> {
    match line.find(TEMP_PASSWORD_MARKER) {
        Some(at) => {
            let start = at + TEMP_PASSWORD_MARKER.len();
            let rest = &line[start..];
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            std::borrow::Cow::Owned(format!("{}[redacted]{}", &line[..start], &rest[end..]))
        }
        None => std::borrow::Cow::Borrowed(line),
    }
}

const PASSWORD_CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/// A new Web UI password: 24 characters (about 139 bits), letters and digits
/// only so that no layer needs escaping.
pub fn generate_password() -> SecretString {
    let mut rng = OsRng;
    let password: String = (0..24)
        .map(|_| char::from(PASSWORD_CHARS[rng.gen_range(0..PASSWORD_CHARS.len())]))
        .collect();
    SecretString::from(password)
}

/// A request to add torrents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddTorrents {
    /// Torrent-file URLs or magnet links.
    pub urls: Vec<String>,
    pub save_path: Option<String>,
    /// Add them stopped (paused).
    pub stopped: bool,
}

/// What came back, read whole.
struct Answer {
    status: StatusCode,
    body: String,
}

/// A client for one qBittorrent Web UI, with its own cookie jar (session).
pub struct QbitClient {
    http: reqwest::Client,
    base: Url,
    username: String,
    api_version: Mutex<Option<ApiVersion>>,
}

impl fmt::Debug for QbitClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QbitClient")
            .field("base_url", &self.base.as_str())
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl QbitClient {
    /// `base_url` is the Web UI as published on the host, e.g.
    /// `http://127.0.0.1:18080` (same port as in the container).
    pub fn new(base_url: &str, username: impl Into<String>) -> Result<Self, QbitError> {
        let base = parse_base_url(base_url)?;
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            // The Web UI is local: never through a proxy.
            .no_proxy()
            .build()
            .map_err(|e| QbitError::Client(e.to_string()))?;
        Ok(Self {
            http,
            base,
            username: username.into(),
            api_version: Mutex::new(None),
        })
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    /// Open a session. One request: a refused password is reported, never
    /// retried.
    pub async fn login(&self, password: &SecretString) -> Result<(), QbitError> {
        let route = "/api/v2/auth/login";
        let secret = password.expose_secret();
        let result = async {
            let request = self
                .request(Method::POST, route)?
                .form(&[("username", self.username.as_str()), ("password", secret)]);
            let answer = self.send(route, request).await?;
            match answer.status.as_u16() {
                204 => Ok(()),
                200 => match answer.body.trim() {
                    "Ok." => Ok(()),
                    "Fails." => Err(QbitError::WrongPassword {
                        username: self.username.clone(),
                    }),
                    other => Err(QbitError::Decode {
                        route: route.to_owned(),
                        message: format!("login answered {}", snippet(other)),
                    }),
                },
                401 => Err(QbitError::WrongPassword {
                    username: self.username.clone(),
                }),
                403 => Err(QbitError::Banned),
                code => Err(QbitError::Status {
                    route: route.to_owned(),
                    code,
                    body: snippet(&answer.body),
                }),
            }
        }
        .await;
        result.map_err(QbitError::without_server_text)
    }

    /// Whether the Web UI answers at all (its login page, no session
    /// needed). `Unreachable` until the server listens.
    pub async fn probe(&self) -> Result<(), QbitError> {
        let request = self.request(Method::GET, "/")?;
        let answer = self.send("/", request).await?;
        check_status("/", &answer)
    }

    /// `POST /api/v2/torrents/reannounce` for every torrent: ask the trackers
    /// for peers again (after the tunnel came back).
    pub async fn reannounce_all(&self) -> Result<(), QbitError> {
        self.post_form("/api/v2/torrents/reannounce", &[("hashes", "all")])
            .await
            .map(drop)
    }

    /// End the session.
    pub async fn logout(&self) -> Result<(), QbitError> {
        self.post_form("/api/v2/auth/logout", &[]).await.map(drop)
    }

    /// `GET /api/v2/app/webapiVersion`; remembered for [`Self::stop_all`]
    /// and friends.
    pub async fn api_version(&self) -> Result<ApiVersion, QbitError> {
        let route = "/api/v2/app/webapiVersion";
        let body = self.get_text(route).await?;
        let version = ApiVersion::parse(&body).ok_or_else(|| QbitError::Decode {
            route: route.to_owned(),
            message: format!("not a version: {}", snippet(&body)),
        })?;
        if let Ok(mut slot) = self.api_version.lock() {
            *slot = Some(version);
        }
        Ok(version)
    }

    async fn known_api_version(&self) -> Result<ApiVersion, QbitError> {
        let known = self.api_version.lock().ok().and_then(|v| *v);
        match known {
            Some(v) => Ok(v),
            None => self.api_version().await,
        }
    }

    /// Whether this is qBittorrent 5.x (Web API ≥ 2.11.0).
    pub async fn is_5x(&self) -> Result<bool, QbitError> {
        Ok(self.known_api_version().await?.is_5x())
    }

    /// `GET /api/v2/app/version`, e.g. `v5.1.4`.
    pub async fn app_version(&self) -> Result<String, QbitError> {
        Ok(self
            .get_text("/api/v2/app/version")
            .await?
            .trim()
            .to_owned())
    }

    /// `GET /api/v2/app/preferences`.
    pub async fn preferences(&self) -> Result<Preferences, QbitError> {
        self.get_json("/api/v2/app/preferences").await
    }

    /// `POST /api/v2/app/setPreferences` with `json=<prefs>`. Only the keys
    /// given change; `prefs` must be a JSON object.
    pub async fn set_preferences(&self, prefs: &serde_json::Value) -> Result<(), QbitError> {
        if !prefs.is_object() {
            return Err(QbitError::InvalidArgument(
                "qBittorrent preferences must be a JSON object".to_owned(),
            ));
        }
        let json = prefs.to_string();
        self.post_form("/api/v2/app/setPreferences", &[("json", &json)])
            .await
            .map(drop)
    }

    /// Set the Web UI password (`web_ui_password`). The current session
    /// stays valid; log in with the new password from then on.
    pub async fn set_password(&self, password: &SecretString) -> Result<(), QbitError> {
        let secret = password.expose_secret();
        if secret.chars().count() < MIN_PASSWORD_LEN {
            return Err(QbitError::InvalidArgument(format!(
                "a qBittorrent Web UI password needs at least {MIN_PASSWORD_LEN} characters"
            )));
        }
        let encoded = Zeroizing::new(
            serde_json::to_string(secret)
                .map_err(|e| QbitError::Client(format!("encoding the password failed: {e}")))?,
        );
        let mut json = Zeroizing::new(String::with_capacity(encoded.len() + 24));
        json.push_str("{\"web_ui_password\":");
        json.push_str(&encoded);
        json.push('}');
        self.post_form("/api/v2/app/setPreferences", &[("json", json.as_str())])
            .await
            .map(drop)
            .map_err(QbitError::without_server_text)
    }

    /// `GET /api/v2/transfer/info`.
    pub async fn transfer_info(&self) -> Result<TransferInfo, QbitError> {
        self.get_json("/api/v2/transfer/info").await
    }

    /// `GET /api/v2/sync/maindata?rid=N`: what changed since `rid` (all of
    /// it for 0 or a stale rid).
    pub async fn sync_maindata(&self, rid: u64) -> Result<MainData, QbitError> {
        let route = "/api/v2/sync/maindata";
        let request = self
            .request(Method::GET, route)?
            .query(&[("rid", rid.to_string())]);
        let answer = self.send(route, request).await?;
        decode_json(route, answer)
    }

    /// One incremental sync into `state`.
    pub async fn sync(&self, state: &mut MainDataState) -> Result<(), QbitError> {
        let update = self.sync_maindata(state.rid()).await?;
        state.apply(update);
        Ok(())
    }

    /// `GET /api/v2/torrents/info`.
    pub async fn torrents(&self) -> Result<Vec<TorrentInfo>, QbitError> {
        self.get_json("/api/v2/torrents/info").await
    }

    /// Add one torrent by URL (a `.torrent` URL or a magnet link).
    pub async fn add_torrent_url(
        &self,
        url: &str,
        save_path: Option<&str>,
    ) -> Result<(), QbitError> {
        self.add_torrents(&AddTorrents {
            urls: vec![url.to_owned()],
            save_path: save_path.map(str::to_owned),
            stopped: false,
        })
        .await
    }

    /// `POST /api/v2/torrents/add` (multipart).
    pub async fn add_torrents(&self, add: &AddTorrents) -> Result<(), QbitError> {
        let route = "/api/v2/torrents/add";
        if add.urls.is_empty()
            || add
                .urls
                .iter()
                .any(|u| u.trim().is_empty() || u.contains('\n'))
        {
            return Err(QbitError::InvalidArgument(
                "give one or more torrent URLs, each on one line".to_owned(),
            ));
        }
        let mut form = reqwest::multipart::Form::new().text("urls", add.urls.join("\n"));
        if let Some(path) = &add.save_path {
            form = form.text("savepath", path.clone());
        }
        if add.stopped {
            // 4.x reads `paused`, 5.x `stopped`; each ignores the other.
            form = form.text("paused", "true").text("stopped", "true");
        }
        let request = self.request(Method::POST, route)?.multipart(form);
        let answer = self.send(route, request).await?;
        match answer.status.as_u16() {
            200 if answer.body.trim() == "Fails." => Err(QbitError::AddFailed(
                "qBittorrent answered Fails.".to_owned(),
            )),
            200 | 202 => Ok(()),
            409 | 415 => Err(QbitError::AddFailed(snippet(&answer.body))),
            _ => check_status(route, &answer).map(drop),
        }
    }

    /// Stop (pause) every torrent.
    pub async fn stop_all(&self) -> Result<(), QbitError> {
        self.torrent_action(true, &["all"]).await
    }

    /// Start (resume) every torrent.
    pub async fn start_all(&self) -> Result<(), QbitError> {
        self.torrent_action(false, &["all"]).await
    }

    /// Stop (pause) these torrents.
    pub async fn stop_torrents(&self, hashes: &[&str]) -> Result<(), QbitError> {
        self.torrent_action(true, hashes).await
    }

    /// Start (resume) these torrents.
    pub async fn start_torrents(&self, hashes: &[&str]) -> Result<(), QbitError> {
        self.torrent_action(false, hashes).await
    }

    async fn torrent_action(&self, stop: bool, hashes: &[&str]) -> Result<(), QbitError> {
        if hashes.is_empty() {
            return Ok(());
        }
        let joined = hashes.join("|");
        let version = self.known_api_version().await?;
        let first = self
            .post_form(action_route(stop, version), &[("hashes", &joined)])
            .await;
        match first {
            // The method is missing: qBittorrent may have been replaced by
            // another major version. Ask again, and retry once if so.
            Err(QbitError::Status { code: 404, .. }) => {
                let now = self.api_version().await?;
                if action_route(stop, now) == action_route(stop, version) {
                    return first.map(drop);
                }
                self.post_form(action_route(stop, now), &[("hashes", &joined)])
                    .await
                    .map(drop)
            }
            other => other.map(drop),
        }
    }

    // -- plumbing

    fn request(&self, method: Method, route: &str) -> Result<RequestBuilder, QbitError> {
        let url = self
            .base
            .join(route)
            .map_err(|e| QbitError::Client(format!("building the URL failed: {e}")))?;
        Ok(self.http.request(method, url))
    }

    async fn send(&self, route: &str, request: RequestBuilder) -> Result<Answer, QbitError> {
        let response = request
            .send()
            .await
            .map_err(|e| unreachable(&self.base, route, &e))?;
        let status = response.status();
        tracing::debug!(route, status = status.as_u16(), "qBittorrent Web UI");
        let body = response
            .text()
            .await
            .map_err(|e| unreachable(&self.base, route, &e))?;
        Ok(Answer { status, body })
    }

    async fn get_text(&self, route: &str) -> Result<String, QbitError> {
        let request = self.request(Method::GET, route)?;
        let answer = self.send(route, request).await?;
        check_status(route, &answer)?;
        Ok(answer.body)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, route: &str) -> Result<T, QbitError> {
        let request = self.request(Method::GET, route)?;
        let answer = self.send(route, request).await?;
        decode_json(route, answer)
    }

    async fn post_form(&self, route: &str, form: &[(&str, &str)]) -> Result<String, QbitError> {
        let request = self.request(Method::POST, route)?.form(form);
        let answer = self.send(route, request).await?;
        check_status(route, &answer)?;
        Ok(answer.body)
    }
}

fn action_route(stop: bool, version: ApiVersion) -> &'static str {
    match (stop, version.is_5x()) {
        (true, true) => "/api/v2/torrents/stop",
        (false, true) => "/api/v2/torrents/start",
        (true, false) => "/api/v2/torrents/pause",
        (false, false) => "/api/v2/torrents/resume",
    }
}

fn parse_base_url(raw: &str) -> Result<Url, QbitError> {
    crate::http::base_url(raw).map_err(|reason| QbitError::InvalidUrl {
        url: raw.to_owned(),
        reason,
    })
}

fn unreachable(base: &Url, route: &str, e: &reqwest::Error) -> QbitError {
    let what = if e.is_timeout() {
        "no answer in time".to_owned()
    } else if e.is_connect() {
        format!("cannot connect ({})", root_cause(e))
    } else {
        root_cause(e)
    };
    QbitError::Unreachable(format!("{route} at {base}: {what}"))
}

/// `Ok` for 200/204; the matching error otherwise.
fn check_status(route: &str, answer: &Answer) -> Result<(), QbitError> {
    match answer.status.as_u16() {
        200 | 204 => Ok(()),
        401 => Err(QbitError::Rejected {
            route: route.to_owned(),
            body: snippet(&answer.body),
        }),
        403 if answer.body.to_ascii_lowercase().contains("banned") => Err(QbitError::Banned),
        403 => Err(QbitError::NotLoggedIn {
            route: route.to_owned(),
        }),
        code => Err(QbitError::Status {
            route: route.to_owned(),
            code,
            body: snippet(&answer.body),
        }),
    }
}

fn decode_json<T: serde::de::DeserializeOwned>(
    route: &str,
    answer: Answer,
) -> Result<T, QbitError> {
    check_status(route, &answer)?;
    serde_json::from_str(&answer.body).map_err(|e| QbitError::Decode {
        route: route.to_owned(),
        message: format!("{e} in {}", snippet(&answer.body)),
    })
}
