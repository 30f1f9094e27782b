//! `qBittorrent.conf`, written before qBittorrent's first start.
//!
//! The linuxserver image copies its defaults only when the file is missing
//! (`root/etc/s6-overlay/s6-rc.d/init-qbittorrent-config/run`), and those
//! defaults leave DHT, PeX and LSD on, bind to no interface and accept any
//! `Host` header (`WebUI\ServerDomains=*`). So the app writes the file into
//! the created, not yet started container: an existing file (a volume from
//! an earlier run) is edited key by key, everything else kept.
//!
//! The file is Qt's INI format (`QSettings::IniFormat`): a key
//! `Preferences/WebUI/Port` is `WebUI\Port` in section `[Preferences]`; a
//! `;` outside quotes starts a comment, so lists are written quoted.

use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

/// Where the linuxserver image (and the lab's) keeps the file.
pub const CONF_PATH: &str = "/config/qBittorrent/qBittorrent.conf";
/// The image's defaults, which it copies to [`CONF_PATH`] only when that
/// file is missing; the app starts from them for a new file.
pub const DEFAULTS_PATH: &str = "/defaults/qBittorrent.conf";

/// linuxserver/docker-qbittorrent's `root/defaults/qBittorrent.conf`, for an
/// image that has no [`DEFAULTS_PATH`]: its save paths are the container's
/// `/downloads`.
pub const LINUXSERVER_DEFAULTS: &str = "[AutoRun]\nenabled=false\nprogram=\n\n[LegalNotice]\nAccepted=true\n\n[Preferences]\nConnection\\UPnP=false\nConnection\\PortRangeMin=6881\nDownloads\\SavePath=/downloads/\nDownloads\\ScanDirsV2=@Variant(\\0\\0\\0\\x1c\\0\\0\\0\\0)\nDownloads\\TempPath=/downloads/incomplete/\nWebUI\\Address=*\nWebUI\\ServerDomains=*\n";

/// qBittorrent's password hashing (`src/base/utils/password.cpp`):
/// PBKDF2-HMAC-SHA512, 100 000 iterations, a 16-byte salt, 64 bytes out.
const PBKDF2_ITERATIONS: u32 = 100_000;

/// `@ByteArray(<salt base64>:<hash base64>)`, as `WebUI\Password_PBKDF2`
/// holds it.
pub fn password_pbkdf2(password: &SecretString) -> String {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    pbkdf2_with_salt(password, &salt)
}

fn pbkdf2_with_salt(password: &SecretString, salt: &[u8]) -> String {
    let out =
        tvpn_pbkdf2::hmac_sha512(password.expose_secret().as_bytes(), salt, PBKDF2_ITERATIONS);
    let b64 = base64::engine::general_purpose::STANDARD;
    format!("@ByteArray({}:{})", b64.encode(salt), b64.encode(out))
}

/// Whether `stored` (a `WebUI\Password_PBKDF2` value, quoted or not) is the
/// hash of `password`.
pub fn pbkdf2_matches(stored: &str, password: &SecretString) -> bool {
    let inner = stored
        .trim()
        .trim_matches('"')
        .strip_prefix("@ByteArray(")
        .and_then(|s| s.strip_suffix(')'));
    let Some((salt, _)) = inner.and_then(|s| s.split_once(':')) else {
        return false;
    };
    let Ok(salt) = base64::engine::general_purpose::STANDARD.decode(salt) else {
        return false;
    };
    let expected = pbkdf2_with_salt(password, &salt);
    // Compared whole; both are hashes, not the password.
    stored.trim().trim_matches('"') == expected
}

/// A Qt INI file kept line by line, so that editing a key leaves every
/// other line (comments, the user's keys, their order) as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ini {
    lines: Vec<String>,
}

fn section_of(line: &str) -> Option<&str> {
    let t = line.trim();
    t.strip_prefix('[')?.strip_suffix(']')
}

fn key_of(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if t.starts_with(';') || t.starts_with('#') || t.starts_with('[') {
        return None;
    }
    t.split_once('=').map(|(k, _)| k.trim())
}

impl Ini {
    pub fn parse(text: &str) -> Self {
        Self {
            lines: text.lines().map(str::to_owned).collect(),
        }
    }

    /// The raw value of `key` in `[section]` (quotes kept).
    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        let mut current = "General";
        for line in &self.lines {
            if let Some(s) = section_of(line) {
                current = s;
            } else if current == section && key_of(line) == Some(key) {
                return line.split_once('=').map(|(_, v)| v.trim());
            }
        }
        None
    }

    /// Set `key` in `[section]` to the raw `value`, in place when the key
    /// exists, else at the end of the section (created at the end of the
    /// file when missing).
    pub fn set(&mut self, section: &str, key: &str, value: &str) {
        let entry = format!("{key}={value}");
        let mut current = "General".to_owned();
        let mut section_end = None;
        for i in 0..self.lines.len() {
            if let Some(s) = section_of(&self.lines[i]) {
                current = s.to_owned();
                continue;
            }
            if current == section {
                if key_of(&self.lines[i]) == Some(key) {
                    self.lines[i] = entry;
                    return;
                }
                if !self.lines[i].trim().is_empty() {
                    section_end = Some(i + 1);
                }
            }
        }
        let header = self
            .lines
            .iter()
            .position(|l| section_of(l) == Some(section));
        match (header, section_end) {
            (_, Some(end)) => self.lines.insert(end, entry),
            (Some(h), None) => self.lines.insert(h + 1, entry),
            (None, None) => {
                if self.lines.last().is_some_and(|l| !l.trim().is_empty()) {
                    self.lines.push(String::new());
                }
                self.lines.push(format!("[{section}]"));
                self.lines.push(entry);
            }
        }
    }

    pub fn to_text(&self) -> String {
        let mut text = self.lines.join("\n");
        text.push('\n');
        text
    }
}

/// A value quoted for Qt's INI format, so `;` and `,` stay part of it.
pub fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// What the app makes sure of in `qBittorrent.conf`.
#[derive(Debug, Clone)]
pub struct Hardening<'a> {
    pub username: &'a str,
    /// `WebUI\Password_PBKDF2` of the app's password.
    pub password_pbkdf2: &'a str,
    pub interface: &'a str,
    pub dht: bool,
    pub lsd: bool,
    pub pex: bool,
    pub upnp: bool,
    /// The names the Web UI answers to (Host-header validation).
    pub server_domains: &'a [String],
}

/// One key the app writes: `(section, key, value)`. The source of each is
/// qBittorrent's `src/base/preferences.cpp` (`Preferences/…`, `AutoRun/…`)
/// and `src/base/bittorrent/sessionimpl.cpp` (`BitTorrent/Session/…`), the
/// same names in 4.5 through 5.1.
pub fn hardened_keys(h: &Hardening<'_>) -> Vec<(&'static str, &'static str, String)> {
    let b = |v: bool| v.to_string();
    vec![
        ("LegalNotice", "Accepted", b(true)),
        ("BitTorrent", "Session\\Interface", h.interface.to_owned()),
        (
            "BitTorrent",
            "Session\\InterfaceName",
            h.interface.to_owned(),
        ),
        // All addresses of that interface.
        (
            "BitTorrent",
            "Session\\InterfaceAddress",
            "0.0.0.0".to_owned(),
        ),
        ("BitTorrent", "Session\\DHTEnabled", b(h.dht)),
        ("BitTorrent", "Session\\LSDEnabled", b(h.lsd)),
        ("BitTorrent", "Session\\PeXEnabled", b(h.pex)),
        // UPnP/NAT-PMP on the router, both names qBittorrent has used.
        ("Network", "PortForwardingEnabled", b(h.upnp)),
        ("Preferences", "Connection\\UPnP", b(h.upnp)),
        ("Preferences", "WebUI\\UseUPnP", b(false)),
        // No external program on events.
        ("AutoRun", "enabled", b(false)),
        ("AutoRun", "OnTorrentAdded\\Enabled", b(false)),
        ("Preferences", "WebUI\\Username", h.username.to_owned()),
        (
            "Preferences",
            "WebUI\\Password_PBKDF2",
            quoted(h.password_pbkdf2),
        ),
        ("Preferences", "WebUI\\HostHeaderValidation", b(true)),
        (
            "Preferences",
            "WebUI\\ServerDomains",
            quoted(&h.server_domains.join(";")),
        ),
        ("Preferences", "WebUI\\CSRFProtection", b(true)),
        ("Preferences", "WebUI\\ClickjackingProtection", b(true)),
        // Both ways around the login closed.
        ("Preferences", "WebUI\\LocalHostAuth", b(true)),
        ("Preferences", "WebUI\\AuthSubnetWhitelistEnabled", b(false)),
    ]
}

/// `existing` (or an empty file) with the hardening applied. Keys the user
/// set are kept; the ban after failed logins stays on (a count of 0, which
/// turns it off, becomes qBittorrent's default of 5).
pub fn harden(existing: Option<&str>, h: &Hardening<'_>) -> String {
    let mut ini = Ini::parse(existing.unwrap_or_default());
    for (section, key, value) in hardened_keys(h) {
        ini.set(section, key, &value);
    }
    let fails = ini
        .get("Preferences", "WebUI\\MaxAuthenticationFailCount")
        .and_then(|v| v.trim_matches('"').parse::<i64>().ok());
    if fails.is_some_and(|n| n <= 0) {
        ini.set("Preferences", "WebUI\\MaxAuthenticationFailCount", "5");
    }
    ini.to_text()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn pbkdf2_matches_qbittorrents_format() {
        // qBittorrent's own hash of "adminadmin" (salt and hash as 4.5 wrote
        // them), checked with the same algorithm.
        let stored = pbkdf2_with_salt(&secret("adminadmin"), b"0123456789abcdef");
        assert!(stored.starts_with("@ByteArray(MDEyMzQ1Njc4OWFiY2RlZg==:"));
        assert_eq!(stored.len(), "@ByteArray(".len() + 24 + 1 + 88 + 1);
        assert!(pbkdf2_matches(&stored, &secret("adminadmin")));
        assert!(pbkdf2_matches(&quoted(&stored), &secret("adminadmin")));
        assert!(!pbkdf2_matches(&stored, &secret("adminadmiN")));
        let fresh = password_pbkdf2(&secret("x"));
        assert_ne!(fresh, password_pbkdf2(&secret("x")), "a new salt each time");
        assert!(pbkdf2_matches(&fresh, &secret("x")));
        assert!(!pbkdf2_matches("@ByteArray(nonsense)", &secret("x")));
    }

    fn hardening(domains: &[String]) -> Hardening<'_> {
        Hardening {
            username: "admin",
            password_pbkdf2: "@ByteArray(c2FsdA==:aGFzaA==)",
            interface: "tun0",
            dht: false,
            lsd: false,
            pex: false,
            upnp: false,
            server_domains: domains,
        }
    }

    #[test]
    fn a_new_file_gets_every_hardened_key() {
        let domains = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let text = harden(None, &hardening(&domains));
        let ini = Ini::parse(&text);
        assert_eq!(
            ini.get("Preferences", "WebUI\\ServerDomains"),
            Some("\"localhost;127.0.0.1\"")
        );
        assert_eq!(ini.get("BitTorrent", "Session\\DHTEnabled"), Some("false"));
        assert_eq!(ini.get("BitTorrent", "Session\\Interface"), Some("tun0"));
        assert_eq!(ini.get("Preferences", "WebUI\\LocalHostAuth"), Some("true"));
        assert_eq!(ini.get("AutoRun", "enabled"), Some("false"));
        for (section, key, value) in hardened_keys(&hardening(&domains)) {
            assert_eq!(
                ini.get(section, key),
                Some(value.as_str()),
                "{section}/{key}"
            );
        }
    }

    #[test]
    fn an_existing_file_keeps_the_users_keys() {
        let user = format!(
            "{}WebUI\\MaxAuthenticationFailCount=0\n\n[BitTorrent]\nSession\\GlobalMaxRatio=2\nSession\\DHTEnabled=true\n",
            LINUXSERVER_DEFAULTS.replace("SavePath=/downloads/", "SavePath=/data/mine/")
        );
        let domains = vec!["localhost".to_owned()];
        let text = harden(Some(&user), &hardening(&domains));
        let ini = Ini::parse(&text);
        assert_eq!(
            ini.get("Preferences", "Downloads\\SavePath"),
            Some("/data/mine/")
        );
        assert!(text.contains("Downloads\\ScanDirsV2=@Variant(\\0\\0\\0\\x1c\\0\\0\\0\\0)"));
        assert_eq!(ini.get("BitTorrent", "Session\\GlobalMaxRatio"), Some("2"));
        assert_eq!(ini.get("BitTorrent", "Session\\DHTEnabled"), Some("false"));
        assert_eq!(ini.get("AutoRun", "program"), Some(""));
        assert_eq!(
            ini.get("Preferences", "WebUI\\ServerDomains"),
            Some("\"localhost\"")
        );
        // The ban after failed logins is back on.
        assert_eq!(
            ini.get("Preferences", "WebUI\\MaxAuthenticationFailCount"),
            Some("5")
        );
        // Each key once.
        assert_eq!(text.matches("ServerDomains=").count(), 1);
        assert_eq!(text.matches("Session\\DHTEnabled=").count(), 1);
        // Editing again changes nothing more.
        assert_eq!(harden(Some(&text), &hardening(&domains)), text);
    }

    #[test]
    fn ini_edits_in_place_and_appends_to_the_right_section() {
        let mut ini = Ini::parse("[A]\nx=1\n\n[B]\ny=2\n; note=3\n");
        ini.set("A", "z", "4");
        ini.set("B", "y", "5");
        ini.set("B", "note", "6");
        ini.set("C", "w", "7");
        assert_eq!(
            ini.to_text(),
            "[A]\nx=1\nz=4\n\n[B]\ny=5\n; note=3\nnote=6\n\n[C]\nw=7\n"
        );
        assert_eq!(ini.get("B", "note"), Some("6"));
        assert_eq!(ini.get("A", "y"), None);
    }
}
