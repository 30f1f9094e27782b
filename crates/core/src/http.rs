//! What the HTTP clients (gluetun's control server, qBittorrent's Web UI)
//! share.

use reqwest::Url;

/// A client's base URL: http(s), with a host and no credentials. The error
/// is the reason, for the client's own error type.
pub fn base_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| e.to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("the scheme must be http or https".to_owned());
    }
    if url.host().is_none() {
        return Err("there is no host".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials do not belong in the URL".to_owned());
    }
    Ok(url)
}
