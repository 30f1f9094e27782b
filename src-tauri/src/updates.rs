//! "Check for Updates…": the core decides where to look
//! ([`Source`](tvpn_core::updates::Source)); tauri-plugin-updater reads
//! the feed, downloads the newer bundle, checks its minisign signature
//! against the public key the release was built with
//! (`plugins.updater.pubkey`, written by `scripts/release`) and installs
//! it; then the app starts again. The stack keeps running meanwhile: the
//! kill switch does not need the app.

use tauri::{AppHandle, Url};
use tauri_plugin_updater::{Update, UpdaterExt as _};
use tvpn_core::updates::Source;

/// What a check found.
pub enum Checked {
    Available(Box<Update>),
    UpToDate,
    /// No check could happen, or it failed: why.
    Unavailable(String),
}

impl std::fmt::Debug for Checked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Checked::Available(u) => write!(f, "Available({})", u.version),
            Checked::UpToDate => f.write_str("UpToDate"),
            Checked::Unavailable(why) => write!(f, "Unavailable({why})"),
        }
    }
}

/// The build's signing key and feeds (`plugins.updater` of its Tauri
/// configuration); empty when it has none.
fn built_in(app: &AppHandle) -> (String, Vec<Url>) {
    let config = app.config().plugins.0.get("updater");
    let pubkey = config
        .and_then(|c| c.get("pubkey"))
        .and_then(|k| k.as_str())
        .unwrap_or_default()
        .to_owned();
    let feeds = config
        .and_then(|c| c.get("endpoints"))
        .and_then(|e| e.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|u| u.as_str().and_then(|u| Url::parse(u).ok()))
                .collect()
        })
        .unwrap_or_default();
    (pubkey, feeds)
}

/// Ask the feed (`updates.feed_url` from the settings, else the built-in
/// one) whether a newer version is out.
pub async fn check(app: &AppHandle, settings_feed: Option<String>) -> Checked {
    let (pubkey, feeds) = built_in(app);
    let feed = match Source::resolve(&pubkey, settings_feed.as_deref(), &feeds) {
        Source::Feed(url) => url,
        other => return Checked::Unavailable(other.reason().unwrap_or_default().to_owned()),
    };
    let updater = match app
        .updater_builder()
        .endpoints(vec![feed])
        .and_then(|b| b.build())
    {
        Ok(u) => u,
        Err(e) => return Checked::Unavailable(format!("the update feed is not usable: {e}")),
    };
    match updater.check().await {
        Ok(Some(update)) => Checked::Available(Box::new(update)),
        Ok(None) => Checked::UpToDate,
        Err(e) => Checked::Unavailable(format!("the update check failed: {e}")),
    }
}

/// Download `update`, check its signature, install it and start the new
/// version. Returns only when something failed (nothing was replaced
/// then).
pub async fn install(app: &AppHandle, update: &Update) -> String {
    match update.download_and_install(|_, _| {}, || {}).await {
        Ok(()) => {
            tracing::info!(version = %update.version, "update installed; restarting");
            app.restart()
        }
        Err(e) => format!("Torrent VPN {} was not installed: {e}", update.version),
    }
}
