//! "Export Diagnostics…" and `tvpn diagnostics`: one `.tar.gz` to attach
//! to a bug report. It holds the status report, the settings (which hold
//! no secret), the last verify report, the engine's facts, the app's recent
//! logs and the last hour of each stack container's log, and every text in
//! it is redacted first: each keychain item of the profile (as it is and
//! base64-encoded) and the user's real IP (asked from this machine at
//! `monitor.real_ip_url`, as "Verify protection" does) become
//! `[redacted …]`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use secrecy::ExposeSecret as _;

use crate::docker;
use crate::paths::AppPaths;
use crate::secrets::{KeyringStore, SecretKind, Secrets};
use crate::session::LAST_VERIFY_FILE;
use crate::stack::{self, engine};
use crate::status;
use crate::verify::leaks;

/// How far back the containers' logs go.
pub const CONTAINER_LOG_SPAN: Duration = Duration::from_secs(3600);
/// The app's log files modified within this span are included.
pub const APP_LOG_SPAN: Duration = Duration::from_secs(2 * 24 * 3600);
/// At most this much of the end of each log.
pub const MAX_LOG_BYTES: usize = 1 << 20;

/// Why the bundle could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DiagnosticsError {
    #[error("cannot write the diagnostics to {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One file of the bundle, already redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub text: String,
}

/// One thing to cut, and its mark.
struct Cut {
    what: String,
    mark: String,
    /// An address: cut only where it is the whole address (`10.0.0.2` is
    /// not a part of `10.0.0.23`).
    address: bool,
}

/// What is cut out of every text: secrets by their value, the real IP.
#[derive(Default)]
pub struct Redactor {
    /// Longest first, so that a secret inside another is not left half
    /// cut.
    cuts: Vec<Cut>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("cuts", &self.cuts.len())
            .finish()
    }
}

impl Redactor {
    /// Cut `secret`, as it is and in standard base64 (padded and not), as
    /// `[redacted <label>]`. An empty value cuts nothing.
    pub fn secret(&mut self, label: &str, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let mark = format!("[redacted {label}]");
        let encoded = base64::engine::general_purpose::STANDARD.encode(secret.as_bytes());
        let unpadded = encoded.trim_end_matches('=').to_owned();
        for what in [secret.to_owned(), encoded, unpadded] {
            self.add(what, mark.clone(), false);
        }
    }

    /// Cut the user's real address.
    pub fn real_ip(&mut self, ip: std::net::IpAddr) {
        self.add(ip.to_string(), "[redacted real IP]".to_owned(), true);
    }

    fn add(&mut self, what: String, mark: String, address: bool) {
        if !self.cuts.iter().any(|c| c.what == what) {
            self.cuts.push(Cut {
                what,
                mark,
                address,
            });
            self.cuts.sort_by_key(|c| std::cmp::Reverse(c.what.len()));
        }
    }

    /// `text` with every cut replaced.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for cut in &self.cuts {
            if !out.contains(cut.what.as_str()) {
                continue;
            }
            out = if cut.address {
                replace_address(&out, &cut.what, &cut.mark)
            } else {
                out.replace(cut.what.as_str(), &cut.mark)
            };
        }
        out
    }
}

/// `text` with each whole occurrence of the address `what` replaced: not
/// one that is a part of a longer address (`10.0.0.2` in `10.0.0.23` or
/// `110.0.0.2`; `10.0.0.2:80` is the address and a port).
fn replace_address(text: &str, what: &str, mark: &str) -> String {
    let v6 = what.contains(':');
    let digit = |c: char| {
        if v6 {
            c.is_ascii_hexdigit()
        } else {
            c.is_ascii_digit()
        }
    };
    let separator = if v6 { ':' } else { '.' };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(what) {
        let before = rest[..i].chars().next_back();
        let after = &rest[i + what.len()..];
        let mut next = after.chars();
        let continues = match next.next() {
            Some(c) if digit(c) => true,
            Some(c) if c == separator => next.next().is_some_and(digit),
            _ => false,
        };
        let part = |c: char| digit(c) || c == separator;
        out.push_str(&rest[..i]);
        if before.is_some_and(part) || continues {
            out.push_str(what);
        } else {
            out.push_str(mark);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// What the bundle was made of: its entries and what could not be
/// redacted (the real IP when this machine could not ask for it).
#[derive(Debug)]
pub struct Bundle {
    pub entries: Vec<Entry>,
    /// Notes for the user, also written into the bundle's `README.txt`.
    pub notes: Vec<String>,
}

/// The last `max` bytes of `text`, cut at a line start.
fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let rest = &text[start..];
    rest.find('\n').map_or(rest, |i| &rest[i + 1..])
}

/// The app's log files changed within [`APP_LOG_SPAN`], oldest first.
fn app_logs(dir: &Path, now: SystemTime) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut logs: Vec<(SystemTime, String, String)> = entries
        .flatten()
        .filter_map(|e| {
            let modified = e.metadata().ok()?.modified().ok()?;
            let recent = now.duration_since(modified).unwrap_or_default() <= APP_LOG_SPAN;
            let name = e.file_name().to_string_lossy().into_owned();
            let bytes = std::fs::read(e.path()).ok()?;
            recent.then(|| {
                let text = String::from_utf8_lossy(&bytes);
                (modified, name, tail(&text, MAX_LOG_BYTES).to_owned())
            })
        })
        .collect();
    logs.sort();
    logs.into_iter().map(|(_, n, t)| (n, t)).collect()
}

/// The redactor for the profile: every keychain item it has, and the real
/// IP when `real_ip_url` answers; and whether every keychain item could be
/// read. Notes say what could not be done.
async fn redactor(
    profile: &str,
    real_ip_url: Option<&str>,
    notes: &mut Vec<String>,
) -> (Redactor, bool) {
    let mut r = Redactor::default();
    let mut secrets_known = true;
    match KeyringStore::open() {
        Ok(store) => {
            let secrets = Secrets::new(Arc::new(store), profile.to_owned());
            for kind in SecretKind::ALL {
                match secrets.get(kind).await {
                    Ok(Some(value)) => r.secret(kind.key(), value.expose_secret()),
                    Ok(None) => {}
                    Err(e) => {
                        secrets_known = false;
                        notes.push(format!(
                            "the keychain item {} could not be read ({e}): a text holding it would not be redacted, so the containers' logs are left out",
                            kind.key()
                        ));
                    }
                }
            }
        }
        Err(e) => {
            secrets_known = false;
            notes.push(format!(
                "the keychain could not be opened ({e}): the containers' logs are left out"
            ));
        }
    }
    match real_ip_url {
        Some(url) => match leaks::real_ip(url).await {
            Ok(ip) => r.real_ip(ip),
            Err(e) => notes.push(format!(
                "the real IP could not be asked ({e}): look for it before sharing the bundle"
            )),
        },
        None => notes.push("no settings: the real IP was not asked".to_owned()),
    }
    (r, secrets_known)
}

/// Gather everything, redacted. Never fails: a part that cannot be read
/// says why in its place. `progress` is told each part as it starts.
pub async fn collect(paths: &AppPaths, progress: &(dyn Fn(&str) + Sync)) -> Bundle {
    let now = SystemTime::now();
    let mut notes = Vec::new();
    let mut raw: Vec<(String, String)> = Vec::new();

    progress("the status report");
    let (report, conn) = status::collect(paths).await;
    raw.push((
        "status.json".to_owned(),
        serde_json::to_string_pretty(&report).unwrap_or_default(),
    ));
    let (_, settings) = status::load_config(paths);
    let settings_text = std::fs::read_to_string(paths.settings_file())
        .unwrap_or_else(|e| format!("(no settings file: {e})\n"));
    raw.push(("settings.toml".to_owned(), settings_text));
    let last_verify = paths.config_dir().join(LAST_VERIFY_FILE);
    raw.push((
        LAST_VERIFY_FILE.to_owned(),
        std::fs::read_to_string(&last_verify).unwrap_or_else(|e| format!("(none: {e})\n")),
    ));

    progress("the keychain items to redact and the real IP");
    let profile = settings
        .as_ref()
        .map_or_else(|| "default".to_owned(), |s| s.profile.clone());
    let url = settings.as_ref().map(|s| s.monitor.real_ip_url.as_str());
    let (redactor, secrets_known) = redactor(&profile, url, &mut notes).await;

    progress("the app's logs");
    for (name, text) in app_logs(paths.log_dir(), now) {
        raw.push((format!("app-logs/{name}"), text));
    }

    if let Some(conn) = &conn {
        progress("the engine");
        raw.push(("engine.json".to_owned(), engine_facts(conn).await));
        if secrets_known {
            progress("the containers' logs (the last hour)");
            let since = now
                .checked_sub(CONTAINER_LOG_SPAN)
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| i32::try_from(d.as_secs()).unwrap_or(i32::MAX));
            if let Ok(observed) = stack::observe(&conn.docker, &profile).await {
                for c in observed.containers {
                    let log = engine::logs_since(&conn.docker, &c.id, since).await;
                    raw.push((
                        format!("containers/{}.log", c.name),
                        format!(
                            "{} {} ({})\n{}\n",
                            c.image,
                            c.state,
                            c.status,
                            tail(&log, MAX_LOG_BYTES)
                        ),
                    ));
                }
            }
        }
    } else {
        notes.push("Docker did not answer: no engine facts and no container logs".to_owned());
    }

    let mut entries: Vec<Entry> = raw
        .into_iter()
        .map(|(name, text)| Entry {
            name,
            text: redactor.redact(&text),
        })
        .collect();
    let mut readme = String::from(
        "Torrent VPN diagnostics. Every keychain item of the profile and the real IP are redacted.\n",
    );
    for n in &notes {
        readme.push_str(&format!("- {n}\n"));
    }
    entries.insert(
        0,
        Entry {
            name: "README.txt".to_owned(),
            text: redactor.redact(&readme),
        },
    );
    Bundle { entries, notes }
}

/// The engine's version and host facts (no host name, no IDs).
async fn engine_facts(conn: &docker::Connected) -> String {
    match conn.docker.info().await {
        Ok(info) => serde_json::to_string_pretty(&serde_json::json!({
            "endpoint": conn.uri,
            "engine_version": conn.engine_version,
            "api_version": conn.api_version,
            "operating_system": info.operating_system,
            "os_type": info.os_type,
            "architecture": info.architecture,
            "kernel_version": info.kernel_version,
            "cpus": info.ncpu,
            "memory_bytes": info.mem_total,
            "cgroup_version": info.cgroup_version,
            "storage_driver": info.driver,
            "containers_running": info.containers_running,
        }))
        .unwrap_or_default(),
        Err(e) => format!("(docker info failed: {e})\n"),
    }
}

/// Write `bundle` as a gzip'd tar at `path` (created with mode 0600 on
/// Unix; an existing file is replaced).
pub fn write(bundle: &Bundle, path: &Path) -> Result<(), DiagnosticsError> {
    let mtime = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let entries = bundle
        .entries
        .iter()
        .map(|e| (format!("diagnostics/{}", e.name), e.text.as_bytes()));
    crate::tgz::write(path, entries, mtime, flate2::Compression::default()).map_err(|source| {
        DiagnosticsError::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Where the app saves a bundle: the user's Downloads folder, else the
/// home folder, else the current directory.
pub fn export_dir() -> PathBuf {
    directories::UserDirs::new()
        .map(|u| {
            u.download_dir()
                .map_or_else(|| u.home_dir().to_path_buf(), Path::to_path_buf)
        })
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The bundle's default file name: `tvpn-diagnostics-<unix seconds>.tar.gz`.
pub fn default_name() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("tvpn-diagnostics-{secs}.tar.gz")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_cut_raw_and_base64_encoded_and_the_real_ip_too() {
        let mut r = Redactor::default();
        r.secret("wireguard-private-key", "hunter2");
        r.real_ip("203.0.113.7".parse().unwrap());
        let text = "key=hunter2 b64=aHVudGVyMg== bare=aHVudGVyMg from 203.0.113.7:51820";
        let out = r.redact(text);
        assert!(!out.contains("hunter2"), "{out}");
        assert!(!out.contains("aHVudGVyMg"), "{out}");
        assert!(!out.contains("203.0.113.7"), "{out}");
        assert_eq!(
            out,
            "key=[redacted wireguard-private-key] b64=[redacted wireguard-private-key] \
             bare=[redacted wireguard-private-key] from [redacted real IP]:51820"
        );
    }

    #[test]
    fn the_real_ip_is_cut_only_where_it_is_the_whole_address() {
        let mut r = Redactor::default();
        r.real_ip("10.0.0.2".parse().unwrap());
        assert_eq!(
            r.redact("10.0.0.2 10.0.0.23 110.0.0.2 (10.0.0.2) 10.0.0.2:80 10.0.0.2. 10.0.0.2.5"),
            "[redacted real IP] 10.0.0.23 110.0.0.2 ([redacted real IP]) [redacted real IP]:80 \
             [redacted real IP]. 10.0.0.2.5"
        );
        let mut r = Redactor::default();
        r.real_ip("2001:db8::1".parse().unwrap());
        assert_eq!(
            r.redact("2001:db8::10 [2001:db8::1]:80 2001:db8::1"),
            "2001:db8::10 [[redacted real IP]]:80 [redacted real IP]"
        );
    }

    #[test]
    fn a_secret_inside_a_longer_one_does_not_leave_half_of_it() {
        let mut r = Redactor::default();
        r.secret("short", "abc");
        r.secret("long", "xxabcxx");
        assert_eq!(r.redact("xxabcxx abc"), "[redacted long] [redacted short]");
    }

    #[test]
    fn an_empty_secret_cuts_nothing() {
        let mut r = Redactor::default();
        r.secret("empty", "");
        assert_eq!(r.redact("unchanged"), "unchanged");
    }

    #[test]
    fn a_long_log_keeps_its_end_from_a_line_start() {
        let text = "first line\nsecond line\nthird line\n";
        assert_eq!(tail(text, 1000), text);
        assert_eq!(tail(text, 15), "third line\n");
        // Never cut inside a character.
        assert_eq!(tail("ééé\nok\n", 4), "ok\n");
    }

    #[test]
    fn the_bundle_is_a_gzipped_tar_of_its_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.tar.gz");
        let bundle = Bundle {
            entries: vec![
                Entry {
                    name: "README.txt".into(),
                    text: "hello\n".into(),
                },
                Entry {
                    name: "containers/x.log".into(),
                    text: "log\n".into(),
                },
            ],
            notes: Vec::new(),
        };
        write(&bundle, &path).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
        let mut seen = Vec::new();
        for e in archive.entries().unwrap() {
            let mut e = e.unwrap();
            let mut text = String::new();
            std::io::Read::read_to_string(&mut e, &mut text).unwrap();
            seen.push((e.path().unwrap().display().to_string(), text));
        }
        assert_eq!(
            seen,
            vec![
                ("diagnostics/README.txt".to_owned(), "hello\n".to_owned()),
                (
                    "diagnostics/containers/x.log".to_owned(),
                    "log\n".to_owned()
                ),
            ]
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the user reads the bundle");
        }
    }

    #[test]
    fn a_bundle_in_a_missing_directory_names_the_path() {
        let bundle = Bundle {
            entries: Vec::new(),
            notes: Vec::new(),
        };
        let err = write(&bundle, Path::new("/nonexistent-dir/d.tar.gz")).unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent-dir/d.tar.gz"),
            "{err}"
        );
    }
}
