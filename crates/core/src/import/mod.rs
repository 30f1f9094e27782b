//! Importing an existing setup: a docker compose `.env` file (the variables
//! gluetun and the qBittorrent image read) or a wg-quick `.conf` file.
//!
//! Two steps, so that an invalid file changes nothing anywhere:
//! 1. [`plan`] parses and checks the whole file and builds the complete
//!    [`ImportPlan`]: the new settings, the secrets, and the file rewritten
//!    with each imported secret's line replaced by a comment. It is pure (the
//!    host-name [`Resolver`] is injected) and reports every [`Problem`] with
//!    its line and variable. `--dry-run` only renders the plan.
//!
//!    The parsers ([`envfile`], [`wgquick`]) keep line numbers; the
//!    mappings (`env`: one table entry per variable, `wg`: the wg-quick
//!    keys) fill a `Builder`, which validates the result and traces each
//!    error to its line; `render` puts the plan in words.
//! 2. [`apply`] stores the secrets, saves the settings and replaces the file.
//!
//! No message, `Debug` output or rendered plan holds a secret value.

mod apply;
mod builder;
mod env;
pub mod envfile;
mod render;
mod wg;
pub mod wgquick;

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use apply::{apply, apply_text, Applied, ApplyError};
pub use builder::{Change, Ignored, Origin, SecretImport};
pub use env::env_variables;
pub use wgquick::{Resolver, SystemResolver};

use crate::settings::Settings;

/// Where imported secrets go, as the scrub comment names it.
#[cfg(target_os = "macos")]
pub const KEYCHAIN_NAME: &str = "the macOS Keychain";
/// Where imported secrets go, as the scrub comment names it.
#[cfg(not(target_os = "macos"))]
pub const KEYCHAIN_NAME: &str = "the system keyring (Secret Service)";

/// The line that replaces an imported secret's line in a `.env` file.
pub fn scrub_comment(key: &str) -> String {
    format!("# {key}: moved to {KEYCHAIN_NAME} by Torrent VPN (tvpn import-env)")
}

/// What kind of file is imported; told apart by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `KEY=VALUE` lines, as docker compose reads them.
    Env,
    /// A wg-quick `.conf`: it has an `[Interface]` section.
    WgQuick,
}

impl Format {
    pub fn describe(self) -> &'static str {
        match self {
            Format::Env => "a .env file",
            Format::WgQuick => "a wg-quick file",
        }
    }
}

/// One thing wrong with the file: where, which variable, and what. The
/// message never holds a secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line number, when the problem has one.
    pub line: Option<usize>,
    /// The variable (or wg-quick key) as written in the file.
    pub var: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(var) = &self.var {
            write!(f, "{var}: ")?;
        }
        f.write_str(&self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("{}", join_problems(.0))]
    Invalid(Vec<Problem>),
    #[error("nothing to import: the file sets none of the variables Torrent VPN reads")]
    NothingToImport,
}

fn join_problems(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl ImportError {
    pub fn problems(&self) -> &[Problem] {
        match self {
            ImportError::Invalid(p) => p,
            ImportError::NothingToImport => &[],
        }
    }
}

/// What the plan starts from.
pub struct ImportContext<'r> {
    /// The current settings; `None` before the first setup.
    pub existing: Option<Settings>,
    /// Relative `DOWNLOADS_PATH`s are taken from here (the file's folder, as
    /// docker compose does).
    pub base_dir: Option<PathBuf>,
    /// For `~/` in `DOWNLOADS_PATH`.
    pub home_dir: Option<PathBuf>,
    pub resolver: &'r dyn Resolver,
}

impl<'r> ImportContext<'r> {
    /// The context for importing the file at `source` (an absolute path):
    /// its folder and the user's home folder.
    pub fn for_file(existing: Option<Settings>, source: &Path, resolver: &'r dyn Resolver) -> Self {
        Self {
            existing,
            base_dir: source.parent().map(Path::to_path_buf),
            home_dir: directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()),
            resolver,
        }
    }
}

/// The text of a file, or the line of its first byte that is not UTF-8.
pub fn decode(bytes: &[u8]) -> Result<&str, Problem> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        // The variable, when the bad byte comes after `NAME=` (or `Key =`).
        let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let var = std::str::from_utf8(&valid[line_start..])
            .ok()
            .and_then(|l| l.split_once('='))
            .map(|(name, _)| name.trim().trim_start_matches("export ").trim())
            .filter(|name| {
                !name.is_empty()
                    && !name.starts_with(|c: char| c.is_ascii_digit())
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
            .map(str::to_owned);
        Problem {
            line: Some(line),
            var,
            message: "not UTF-8 text; save the file as UTF-8".to_owned(),
        }
    })
}

/// Everything an import will do, computed before anything is written.
#[derive(Debug)]
pub struct ImportPlan {
    pub format: Format,
    /// The settings as they will be saved (validated).
    pub settings: Settings,
    /// The settings before, `None` when there was no settings file.
    pub previous: Option<Settings>,
    pub changes: Vec<Change>,
    pub secrets: Vec<SecretImport>,
    /// The `.env` lines replaced by a comment.
    pub scrubbed: Vec<Origin>,
    /// The new content of the file; `None` when it stays as it is.
    pub rewritten: Option<Vec<u8>>,
    pub ignored: Vec<Ignored>,
    /// Things the user should know (a resolved host name, a relative path).
    pub notes: Vec<String>,
    /// SHA-256 of the file the plan was made from.
    pub source_sha256: [u8; 32],
}

impl ImportPlan {
    /// The profile the secrets are stored under.
    pub fn profile(&self) -> &str {
        &self.settings.profile
    }

    /// True when the settings file would be written (new, or a value changes).
    pub fn settings_change(&self) -> bool {
        self.previous.as_ref() != Some(&self.settings)
    }
}

/// Parse and check a whole file and build the complete plan. Nothing is
/// written; on any problem the error lists every one found.
pub fn plan(bytes: &[u8], ctx: &ImportContext<'_>) -> Result<ImportPlan, ImportError> {
    let text = decode(bytes).map_err(|p| ImportError::Invalid(vec![p]))?;
    let one = |p: Problem| ImportError::Invalid(vec![p]);
    let (format, built, mut scrubbed, rewritten) = if wgquick::looks_like_wg_quick(text) {
        let wg = wgquick::parse(text).map_err(one)?;
        (Format::WgQuick, wg::plan(&wg, ctx)?, Vec::new(), None)
    } else {
        let file = envfile::parse(text).map_err(one)?;
        let built = env::plan(&file, ctx)?;
        let scrubbed: Vec<Origin> = built.secrets.iter().map(|s| s.origin.clone()).collect();
        let lines: BTreeSet<usize> = scrubbed.iter().map(|o| o.line).collect();
        let rewritten = (!lines.is_empty()).then(|| file.scrub(&lines, scrub_comment).into_bytes());
        (Format::Env, built, scrubbed, rewritten)
    };
    scrubbed.sort_by_key(|o| o.line);
    Ok(ImportPlan {
        format,
        settings: built.settings,
        previous: ctx.existing.clone(),
        changes: built.changes,
        secrets: built.secrets,
        scrubbed,
        rewritten,
        ignored: built.ignored,
        notes: built.notes,
        source_sha256: Sha256::digest(bytes).into(),
    })
}

#[cfg(test)]
mod tests;
