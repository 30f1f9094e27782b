//! Where the app looks for a newer version of itself. The app's updater
//! (tauri-plugin-updater) does the rest: it reads the feed (Tauri's
//! `latest.json`), compares versions, downloads the bundle and checks its
//! minisign signature against the public key the release was built with,
//! then installs it. This module decides whether a check can happen at all
//! and which feed it asks.

use reqwest::Url;

/// Where an update check goes, or why none can happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Ask this feed.
    Feed(Url),
    /// The build has no public key to check a download's signature with
    /// (a build of one's own): it never installs an update.
    NoSigningKey,
    /// No feed: none in the settings (`updates.feed_url`) and none built in.
    NoFeed,
}

impl Source {
    /// The feed for a build whose signing key is `pubkey` (empty for
    /// none) and whose built-in feeds are `built_in`: `updates.feed_url`
    /// from the settings first (already validated), else the first
    /// built-in one.
    pub fn resolve(pubkey: &str, settings_feed: Option<&str>, built_in: &[Url]) -> Source {
        if pubkey.trim().is_empty() {
            return Source::NoSigningKey;
        }
        let from_settings = settings_feed.and_then(|f| feed_url(f).ok());
        match from_settings.or_else(|| built_in.first().cloned()) {
            Some(url) => Source::Feed(url),
            None => Source::NoFeed,
        }
    }

    /// Why no check happens, in words; `None` for a feed.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Source::Feed(_) => None,
            Source::NoSigningKey => Some(
                "This build has no update signing key, so it cannot check an update's signature: \
                 updates come with a new download of the app",
            ),
            Source::NoFeed => {
                Some("No update feed is set: add updates.feed_url to the settings file")
            }
        }
    }
}

/// `updates.feed_url`'s rule: an https address with a host and no
/// credentials (the updater refuses any other scheme for its feed).
pub fn feed_url(raw: &str) -> Result<Url, String> {
    let url = crate::http::base_url(raw)?;
    if url.scheme() != "https" {
        return Err("the updater only asks https addresses".to_owned());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn the_settings_feed_wins_and_a_build_without_a_key_never_checks() {
        let built_in = [url("https://releases.example/latest.json")];
        let mine = "https://mirror.example/tvpn/latest.json";
        let cases = [
            ("KEY", Some(mine), &built_in[..], Source::Feed(url(mine))),
            (
                "KEY",
                None,
                &built_in[..],
                Source::Feed(built_in[0].clone()),
            ),
            ("KEY", None, &[][..], Source::NoFeed),
            ("", Some(mine), &built_in[..], Source::NoSigningKey),
            ("  ", None, &built_in[..], Source::NoSigningKey),
        ];
        for (key, feed, built_in, want) in cases {
            assert_eq!(
                Source::resolve(key, feed, built_in),
                want,
                "{key:?} {feed:?}"
            );
        }
        assert!(Source::NoSigningKey
            .reason()
            .unwrap()
            .contains("no update signing key"));
        assert!(Source::NoFeed
            .reason()
            .unwrap()
            .contains("updates.feed_url"));
        assert_eq!(Source::Feed(url(mine)).reason(), None);
    }

    #[test]
    fn the_feed_is_https_only() {
        assert!(feed_url("https://releases.example/latest.json").is_ok());
        for (raw, why) in [
            ("http://releases.example/latest.json", "only asks https"),
            ("ftp://releases.example/latest.json", "http or https"),
            ("https://me:pw@releases.example/", "credentials"),
            ("latest.json", "relative URL"),
        ] {
            let err = feed_url(raw).unwrap_err();
            assert!(err.contains(why), "{raw}: {err}");
        }
    }
}
