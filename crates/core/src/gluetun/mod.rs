//! A client for the gateway's (gluetun's) HTTP control server.
//!
//! Facts it relies on (see `gluetun.md` §1 in the shared reference):
//! - Auth is a role file listing `"METHOD /path"` routes; the app writes one
//!   role with an API key ([`auth_config_toml`]) and sends `X-API-Key`.
//! - The auth middleware runs before routing: a route no role covers gets
//!   `401` (up to v3.41.1), `404`/`405` on master for unknown paths and
//!   methods. Error bodies are plain text.
//! - `GET /v1/portforward` exists from v3.41.0; earlier versions only have
//!   `GET /v1/openvpn/portforwarded`, which v3.41+ answers with a `301` to
//!   the new route. Redirects are never followed automatically: the target
//!   may need another role.
//!
//! Nothing here ever formats the API key: [`GluetunClient`]'s `Debug` hides
//! it, and errors carry only the route, the status and the server's text.

mod auth;
pub mod log;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod testserver;

use std::fmt;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};

pub use auth::{
    app_routes_for, auth_config_toml, auth_config_toml_with_routes, generate_api_key, APP_ROUTES,
    APP_ROUTES_BEFORE_V3_41, ROLE_NAME,
};

/// How long to wait for the TCP connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long any one request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// `PUT /v1/vpn/status` waits until the VPN loop changed state.
pub const SET_STATUS_TIMEOUT: Duration = Duration::from_secs(30);

/// The header gluetun reads the API key from.
const API_KEY_HEADER: &str = "X-API-Key";
/// Error bodies are cut to this many characters.
const BODY_SNIPPET: usize = 300;

/// Control-server failures, in words a user can act on. None carries the API
/// key.
#[derive(Debug, thiserror::Error)]
pub enum GluetunError {
    #[error("invalid control-server address {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("could not set up the HTTP client: {0}")]
    Client(String),
    /// The control server did not answer (connection refused, timeout…).
    #[error("the gateway's control server is unreachable: {0}")]
    Unreachable(String),
    /// `401`: no role covering `route` accepted the request.
    #[error("{}", unauthorized_message(.route, *.key_sent))]
    Unauthorized {
        /// `"METHOD /path"`.
        route: String,
        /// Whether an API key was sent.
        key_sent: bool,
    },
    /// Any other unexpected status; `body` is the server's (plain-text)
    /// error, shortened.
    #[error("the gateway's control server answered {code} to {route}: {body}")]
    Status {
        route: String,
        code: u16,
        body: String,
    },
    /// A `200` whose body is not what the route returns.
    #[error("unexpected answer from the gateway's control server to {route}: {message}")]
    Decode { route: String, message: String },
}

fn unauthorized_message(route: &str, key_sent: bool) -> String {
    if key_sent {
        format!(
            "the gateway's control server refused the API key for {route}: Torrent VPN gives the \
             gateway an auth config (role \"{ROLE_NAME}\", delivered as the file named by \
             HTTP_CONTROL_SERVER_AUTH_CONFIG_FILEPATH) that holds this key; check that the gateway \
             was created by Torrent VPN and that the control-server API key in the Keychain \
             matches it (recreating the gateway from the app writes the config again)"
        )
    } else {
        format!(
            "the gateway's control server requires an API key for {route}, and none is \
             configured: Torrent VPN generates one, keeps it in the Keychain and delivers it to \
             the gateway in an auth config (role \"{ROLE_NAME}\", the file named by \
             HTTP_CONTROL_SERVER_AUTH_CONFIG_FILEPATH); recreate the gateway from the app"
        )
    }
}

/// `GET /v1/version`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Version {
    /// `"v3.41.1"`, or `"latest"` for images built from master.
    pub version: String,
    #[serde(default)]
    pub commit: String,
    #[serde(default)]
    pub created: String,
}

impl Version {
    pub fn release(&self) -> GluetunRelease {
        GluetunRelease::parse(&self.version)
    }
}

/// What a gluetun version string says about the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GluetunRelease {
    /// `latest` (master): newer than any tag.
    Latest,
    /// A release tag `vMAJOR.MINOR.PATCH`.
    Tagged(u32, u32, u32),
    /// Anything else (a PR build, a custom tag): treated as new.
    Other(String),
    /// Nothing says (an image referenced by digest, without a version
    /// label): only what every release accepts is used.
    Unknown,
}

impl GluetunRelease {
    pub fn parse(version: &str) -> Self {
        let v = version.trim();
        if v.eq_ignore_ascii_case("latest") {
            return GluetunRelease::Latest;
        }
        let digits = v.strip_prefix('v').unwrap_or(v);
        let mut parts = digits.split('.');
        let mut next = || parts.next().and_then(|p| p.parse::<u32>().ok());
        match (next(), next(), next().or(Some(0))) {
            (Some(major), Some(minor), Some(patch)) => GluetunRelease::Tagged(major, minor, patch),
            _ => GluetunRelease::Other(v.to_owned()),
        }
    }

    /// Whether `GET /v1/portforward` exists (v3.41.0 and later).
    pub fn has_portforward_route(&self) -> bool {
        match self {
            GluetunRelease::Tagged(major, minor, patch) => (*major, *minor, *patch) >= (3, 41, 0),
            GluetunRelease::Latest | GluetunRelease::Other(_) => true,
            GluetunRelease::Unknown => false,
        }
    }
}

/// The VPN loop's status (`GET /v1/vpn/status`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum VpnStatus {
    Starting,
    Running,
    Stopping,
    Stopped,
    Crashed,
    Completed,
    /// A value this version does not know, kept as sent.
    Other(String),
}

impl VpnStatus {
    pub fn as_str(&self) -> &str {
        match self {
            VpnStatus::Starting => "starting",
            VpnStatus::Running => "running",
            VpnStatus::Stopping => "stopping",
            VpnStatus::Stopped => "stopped",
            VpnStatus::Crashed => "crashed",
            VpnStatus::Completed => "completed",
            VpnStatus::Other(s) => s,
        }
    }
}

impl From<String> for VpnStatus {
    fn from(s: String) -> Self {
        match s.as_str() {
            "starting" => VpnStatus::Starting,
            "running" => VpnStatus::Running,
            "stopping" => VpnStatus::Stopping,
            "stopped" => VpnStatus::Stopped,
            "crashed" => VpnStatus::Crashed,
            "completed" => VpnStatus::Completed,
            _ => VpnStatus::Other(s),
        }
    }
}

impl From<VpnStatus> for String {
    fn from(s: VpnStatus) -> Self {
        match s {
            VpnStatus::Other(s) => s,
            known => known.as_str().to_owned(),
        }
    }
}

impl fmt::Display for VpnStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What `PUT /v1/vpn/status` may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VpnTarget {
    Running,
    Stopped,
}

/// `GET /v1/publicip/ip`. Every field but `public_ip` is omitted when empty;
/// while the VPN is down gluetun answers `{"public_ip":""}`, read as `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct PublicIp {
    #[serde(default, deserialize_with = "empty_ip_as_none")]
    pub public_ip: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

fn empty_ip_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<IpAddr>, D::Error> {
    let raw = Option::<String>::deserialize(d)?;
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

#[derive(Deserialize)]
struct StatusBody {
    status: VpnStatus,
}

#[derive(Serialize)]
struct SetStatusBody {
    status: VpnTarget,
}

#[derive(Deserialize)]
struct OutcomeBody {
    outcome: String,
}

/// `{"port":N,"ports":[…]}` (v3.41+), `{"port":N}` or `{"ports":[…]}` (v3.40).
#[derive(Deserialize)]
struct PortsBody {
    #[serde(default)]
    port: Option<u32>,
    #[serde(default)]
    ports: Option<Vec<u32>>,
}

/// The forwarded ports in a port-forwarding body; `0` means none.
fn parse_ports(body: &str) -> Result<Vec<u16>, String> {
    let parsed: PortsBody = serde_json::from_str(body).map_err(|e| e.to_string())?;
    let raw = match parsed.ports {
        Some(list) if !list.is_empty() => list,
        _ => parsed.port.into_iter().collect(),
    };
    let mut ports = Vec::with_capacity(raw.len());
    for p in raw {
        let port = u16::try_from(p).map_err(|_| format!("port {p} is out of range"))?;
        if port != 0 && !ports.contains(&port) {
            ports.push(port);
        }
    }
    Ok(ports)
}

/// The routes the client calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Version,
    GetVpnStatus,
    PutVpnStatus,
    PublicIp,
    PortForward,
    LegacyPortForwarded,
    DnsStatus,
}

impl Route {
    fn method(self) -> Method {
        match self {
            Route::PutVpnStatus => Method::PUT,
            _ => Method::GET,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Route::Version => "/v1/version",
            Route::GetVpnStatus | Route::PutVpnStatus => "/v1/vpn/status",
            Route::PublicIp => "/v1/publicip/ip",
            Route::PortForward => "/v1/portforward",
            Route::LegacyPortForwarded => "/v1/openvpn/portforwarded",
            Route::DnsStatus => "/v1/dns/status",
        }
    }

    /// `"METHOD /path"`, as in the auth config.
    fn name(self) -> String {
        format!("{} {}", self.method(), self.path())
    }
}

/// What came back, read whole.
struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

/// A client for one gateway's control server.
pub struct GluetunClient {
    http: reqwest::Client,
    base: Url,
    api_key: Option<SecretString>,
    /// The gateway's release, once `GET /v1/version` answered.
    release: Mutex<Option<GluetunRelease>>,
}

impl fmt::Debug for GluetunClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GluetunClient")
            .field("base_url", &self.base.as_str())
            .field(
                "api_key",
                &if self.api_key.is_some() {
                    "[redacted]"
                } else {
                    "none"
                },
            )
            .finish()
    }
}

impl GluetunClient {
    /// `base_url` is the published control port, e.g.
    /// `http://127.0.0.1:8000`. Nothing is sent until the first call.
    pub fn new(base_url: &str, api_key: Option<SecretString>) -> Result<Self, GluetunError> {
        let base = parse_base_url(base_url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            // The control server is local: never through a proxy.
            .no_proxy()
            .build()
            .map_err(|e| GluetunError::Client(e.to_string()))?;
        Ok(Self {
            http,
            base,
            api_key,
            release: Mutex::new(None),
        })
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    pub fn has_api_key(&self) -> bool {
        self.api_key.is_some()
    }

    /// The release seen by the last successful [`Self::version`] call.
    pub fn known_release(&self) -> Option<GluetunRelease> {
        self.release.lock().ok().and_then(|r| r.clone())
    }

    fn remember_release(&self, release: Option<GluetunRelease>) {
        if let Ok(mut slot) = self.release.lock() {
            *slot = release;
        }
    }

    /// `GET /v1/version`.
    pub async fn version(&self) -> Result<Version, GluetunError> {
        let answer = self.send(Route::Version, None, REQUEST_TIMEOUT).await?;
        let version: Version = expect_json(Route::Version, answer)?;
        self.remember_release(Some(version.release()));
        Ok(version)
    }

    /// `GET /v1/vpn/status`.
    pub async fn vpn_status(&self) -> Result<VpnStatus, GluetunError> {
        let answer = self
            .send(Route::GetVpnStatus, None, REQUEST_TIMEOUT)
            .await?;
        let body: StatusBody = expect_json(Route::GetVpnStatus, answer)?;
        Ok(body.status)
    }

    /// `PUT /v1/vpn/status`: connect or disconnect. gluetun answers once the
    /// loop changed state, with the outcome: `"running"`, `"stopped"`,
    /// `"already running"`, `"already stopped"`…
    pub async fn set_vpn_status(&self, target: VpnTarget) -> Result<String, GluetunError> {
        let body = serde_json::to_vec(&SetStatusBody { status: target }).map_err(|e| {
            GluetunError::Client(format!("encoding the status request failed: {e}"))
        })?;
        let answer = self
            .send(Route::PutVpnStatus, Some(body), SET_STATUS_TIMEOUT)
            .await?;
        let body: OutcomeBody = expect_json(Route::PutVpnStatus, answer)?;
        Ok(body.outcome)
    }

    /// `GET /v1/dns/status`: gluetun's own DNS server (`"running"` when it
    /// answers the namespace's queries).
    pub async fn dns_status(&self) -> Result<VpnStatus, GluetunError> {
        let answer = self.send(Route::DnsStatus, None, REQUEST_TIMEOUT).await?;
        let body: StatusBody = expect_json(Route::DnsStatus, answer)?;
        Ok(body.status)
    }

    /// `GET /v1/publicip/ip`.
    pub async fn public_ip(&self) -> Result<PublicIp, GluetunError> {
        let answer = self.send(Route::PublicIp, None, REQUEST_TIMEOUT).await?;
        expect_json(Route::PublicIp, answer)
    }

    /// The forwarded ports; empty when none.
    ///
    /// Asks `GET /v1/portforward` (v3.41+) and falls back to
    /// `GET /v1/openvpn/portforwarded` on `404` or `400` (older versions).
    /// When the gateway's version is known to predate v3.41 (from
    /// [`Self::version`], asked once and remembered), it goes to the old
    /// route directly: those versions answer `401` for any route their role
    /// table lacks, which must not be mistaken for a refused key. A `301`
    /// from the old route means "use `/v1/portforward`". A `401` is never a
    /// reason to try the other route.
    pub async fn forwarded_ports(&self) -> Result<Vec<u16>, GluetunError> {
        let release = match self.known_release() {
            Some(release) => Some(release),
            None => match self.version().await {
                Ok(v) => Some(v.release()),
                Err(e @ (GluetunError::Unauthorized { .. } | GluetunError::Unreachable(_))) => {
                    return Err(e)
                }
                Err(_) => None,
            },
        };
        if release.is_some_and(|r| !r.has_portforward_route()) {
            return self.legacy_forwarded_ports(true).await;
        }
        let answer = self.send(Route::PortForward, None, REQUEST_TIMEOUT).await?;
        match answer.status.as_u16() {
            400 | 404 => self.legacy_forwarded_ports(false).await,
            _ => ports_answer(Route::PortForward, answer),
        }
    }

    async fn legacy_forwarded_ports(&self, may_follow: bool) -> Result<Vec<u16>, GluetunError> {
        let route = Route::LegacyPortForwarded;
        let answer = self.send(route, None, REQUEST_TIMEOUT).await?;
        let moved = matches!(answer.status.as_u16(), 301 | 308)
            && answer
                .location
                .as_deref()
                .is_some_and(|l| l.trim_end_matches('/').ends_with(Route::PortForward.path()));
        if moved && may_follow {
            // The version we remembered is out of date (gateway replaced).
            self.remember_release(None);
            let answer = self.send(Route::PortForward, None, REQUEST_TIMEOUT).await?;
            return ports_answer(Route::PortForward, answer);
        }
        ports_answer(route, answer)
    }

    async fn send(
        &self,
        route: Route,
        body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> Result<Answer, GluetunError> {
        let url = self
            .base
            .join(route.path())
            .map_err(|e| GluetunError::Client(format!("building the URL failed: {e}")))?;
        let mut request = self.http.request(route.method(), url).timeout(timeout);
        if let Some(key) = &self.api_key {
            let mut value =
                reqwest::header::HeaderValue::from_str(key.expose_secret()).map_err(|_| {
                    GluetunError::Client(
                        "the control-server API key holds characters an HTTP header cannot carry"
                            .to_owned(),
                    )
                })?;
            value.set_sensitive(true);
            request = request.header(API_KEY_HEADER, value);
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| unreachable(&self.base, route, &e, timeout))?;
        let status = response.status();
        tracing::debug!(route = %route.name(), status = status.as_u16(), "gateway control server");
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .text()
            .await
            .map_err(|e| unreachable(&self.base, route, &e, timeout))?;
        if status == StatusCode::UNAUTHORIZED {
            return Err(GluetunError::Unauthorized {
                route: route.name(),
                key_sent: self.api_key.is_some(),
            });
        }
        Ok(Answer {
            status,
            location,
            body,
        })
    }
}

fn parse_base_url(raw: &str) -> Result<Url, GluetunError> {
    crate::http::base_url(raw).map_err(|reason| GluetunError::InvalidUrl {
        url: raw.to_owned(),
        reason,
    })
}

fn unreachable(base: &Url, route: Route, e: &reqwest::Error, timeout: Duration) -> GluetunError {
    let what = if e.is_timeout() {
        format!("no answer within {} s", timeout.as_secs())
    } else if e.is_connect() {
        format!("cannot connect ({})", root_cause(e))
    } else {
        root_cause(e)
    };
    GluetunError::Unreachable(format!("{} at {base}: {what}", route.name()))
}

/// The innermost error text (reqwest's own text repeats the URL).
pub(crate) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

pub(crate) fn snippet(body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return "(empty body)".to_owned();
    }
    let mut out: String = trimmed.chars().take(BODY_SNIPPET).collect();
    if out.len() < trimmed.len() {
        out.push('…');
    }
    out
}

fn status_error(route: Route, answer: &Answer) -> GluetunError {
    let body = match (&answer.location, answer.status.is_redirection()) {
        (Some(location), true) => format!("redirect to {location}"),
        _ => snippet(&answer.body),
    };
    GluetunError::Status {
        route: route.name(),
        code: answer.status.as_u16(),
        body,
    }
}

fn expect_json<T: serde::de::DeserializeOwned>(
    route: Route,
    answer: Answer,
) -> Result<T, GluetunError> {
    if answer.status != StatusCode::OK {
        return Err(status_error(route, &answer));
    }
    serde_json::from_str(&answer.body).map_err(|e| GluetunError::Decode {
        route: route.name(),
        message: format!("{e} in {}", snippet(&answer.body)),
    })
}

fn ports_answer(route: Route, answer: Answer) -> Result<Vec<u16>, GluetunError> {
    if answer.status != StatusCode::OK {
        return Err(status_error(route, &answer));
    }
    parse_ports(&answer.body).map_err(|message| GluetunError::Decode {
        route: route.name(),
        message: format!("{message} in {}", snippet(&answer.body)),
    })
}
