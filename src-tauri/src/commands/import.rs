//! Importing a `.env` or wg-quick file from the window, through the core's
//! planner: the plan is shown first (what changes, which secrets go to the
//! keychain, which `.env` lines are replaced), and applied only when the
//! user confirms the same plan (a token ties the two together).
//!
//! A `.env` file must be given by its path, so that its secret lines can be
//! replaced in place. A wg-quick file may also come as text (picked in the
//! window); it is never changed anyway.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};
use tvpn_core::import::{
    self, Applied, Format, ImportContext, ImportError, ImportPlan, SystemResolver,
};
use tvpn_core::secrets::{ExposeSecret, SecretKind, SecretStore, SecretString, Secrets};
use tvpn_core::settings::{Field, Settings};

use super::CommandError;

/// Larger files are not `.env` or wg-quick files.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// File text that may hold secrets: wrapped while it is deserialized.
#[derive(Debug)]
pub struct SecretText(SecretString);

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self(SecretString::from(String::deserialize(d)?)))
    }
}

/// What is imported.
pub enum Source {
    File(PathBuf),
    Text(SecretText),
}

impl Source {
    pub fn new(path: Option<String>, text: Option<SecretText>) -> Result<Self, CommandError> {
        match (path.filter(|p| !p.trim().is_empty()), text) {
            (Some(p), None) => {
                let p = PathBuf::from(p.trim());
                if !p.is_absolute() {
                    return Err(CommandError::msg(format!(
                        "{} is not an absolute path",
                        p.display()
                    )));
                }
                Ok(Self::File(p))
            }
            (None, Some(t)) => Ok(Self::Text(t)),
            (None, None) => Err(CommandError::msg("choose a file to import")),
            (Some(_), Some(_)) => Err(CommandError::msg("give a path or a text, not both")),
        }
    }

    fn bytes(&self) -> Result<Vec<u8>, CommandError> {
        match self {
            Source::Text(t) => Ok(t.0.expose_secret().as_bytes().to_vec()),
            Source::File(p) => {
                let meta = std::fs::metadata(p)
                    .map_err(|e| CommandError::msg(format!("{}: {e}", p.display())))?;
                if !meta.is_file() {
                    return Err(CommandError::msg(format!("{} is not a file", p.display())));
                }
                if meta.len() > MAX_FILE_BYTES {
                    return Err(CommandError::msg(format!(
                        "{} is {} bytes: too large for a .env or wg-quick file",
                        p.display(),
                        meta.len()
                    )));
                }
                std::fs::read(p).map_err(|e| CommandError::msg(format!("{}: {e}", p.display())))
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Text(_) => "the chosen wg-quick file".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeView {
    /// Serialized as its dotted path, e.g. `vpn.provider`.
    pub field: Field,
    pub from: String,
    pub to: String,
    pub unchanged: bool,
    pub line: usize,
    pub var: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretImportView {
    pub kind: SecretKind,
    pub label: &'static str,
    pub line: usize,
    pub var: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScrubView {
    pub line: usize,
    pub var: String,
    /// The comment that replaces the line.
    pub replacement: String,
}

/// The plan as the window shows it. Names secrets, never their values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportPlanView {
    pub source: String,
    /// `env` or `wg-quick`.
    pub format: &'static str,
    /// Pass back to `apply_import`: applying fails if the file or the
    /// settings changed since this plan was shown.
    pub token: String,
    /// The core's plan in words (as `tvpn import-env --dry-run` prints it).
    pub rendered: String,
    pub new_settings_file: bool,
    pub changes: Vec<ChangeView>,
    pub secrets: Vec<SecretImportView>,
    pub scrubbed: Vec<ScrubView>,
    /// What happens to the file, in one sentence.
    pub file_outcome: String,
    pub ignored: Vec<String>,
    pub notes: Vec<String>,
}

/// Ties a plan to the file and the settings it was made from.
fn token(plan: &ImportPlan, settings_file: &Path) -> String {
    let mut h = DefaultHasher::new();
    std::fs::read(settings_file).ok().hash(&mut h);
    let hex: String = plan
        .source_sha256
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{hex}-{:016x}", h.finish())
}

fn make_plan(settings_file: &Path, source: &Source) -> Result<ImportPlan, CommandError> {
    let existing = Settings::load(settings_file).map_err(|e| {
        CommandError::msg(format!(
            "the current settings cannot be read ({e}); fix them in the form or remove the file first"
        ))
    })?;
    let bytes = source.bytes()?;
    let ctx = match source {
        Source::File(p) => ImportContext::for_file(existing, p, &SystemResolver),
        Source::Text(_) => ImportContext {
            existing,
            base_dir: None,
            home_dir: std::env::var_os("HOME").map(PathBuf::from),
            resolver: &SystemResolver,
        },
    };
    let plan = import::plan(&bytes, &ctx).map_err(|e| match e {
        ImportError::Invalid(problems) => CommandError {
            message: format!(
                "{} cannot be imported; nothing was changed",
                source.describe()
            ),
            fields: Vec::new(),
            details: problems.iter().map(ToString::to_string).collect(),
        },
        other => CommandError::msg(format!("{}: {other}", source.describe())),
    })?;
    if matches!(source, Source::Text(_)) && plan.format == Format::Env {
        return Err(CommandError::msg(
            "a .env file is imported from its path (drop it on the window or type its path), \
             so that its secret lines can be replaced",
        ));
    }
    Ok(plan)
}

/// The plan for importing `source`. Changes nothing.
pub fn plan_view(settings_file: &Path, source: &Source) -> Result<ImportPlanView, CommandError> {
    let plan = make_plan(settings_file, source)?;
    let display_source = match source {
        Source::File(p) => p.clone(),
        Source::Text(_) => PathBuf::from("(the chosen wg-quick file)"),
    };
    let file_outcome = match (plan.format, &plan.rewritten) {
        (Format::WgQuick, _) => "The file stays as it is: it still holds the private key. \
             Delete it once the import works, unless the WireGuard app still uses it."
            .to_owned(),
        (Format::Env, None) => "The file stays as it is: no secret in it is imported.".to_owned(),
        (Format::Env, Some(_)) => format!(
            "Each imported secret's line in the file is replaced by a comment; every other \
             line stays byte for byte. docker compose will no longer get those {} variable(s) \
             from it: the secrets live in {} from now on.",
            plan.scrubbed.len(),
            import::KEYCHAIN_NAME
        ),
    };
    Ok(ImportPlanView {
        source: source.describe(),
        format: match plan.format {
            Format::Env => "env",
            Format::WgQuick => "wg-quick",
        },
        token: token(&plan, settings_file),
        rendered: plan.render(&display_source, settings_file),
        new_settings_file: plan.previous.is_none(),
        changes: plan
            .changes
            .iter()
            .map(|c| ChangeView {
                field: c.field,
                from: c.from.clone(),
                to: c.to.clone(),
                unchanged: c.unchanged(),
                line: c.origin.line,
                var: c.origin.var.clone(),
            })
            .collect(),
        secrets: plan
            .secrets
            .iter()
            .map(|s| SecretImportView {
                kind: s.kind,
                label: s.kind.label(),
                line: s.origin.line,
                var: s.origin.var.clone(),
            })
            .collect(),
        scrubbed: plan
            .scrubbed
            .iter()
            .map(|o| ScrubView {
                line: o.line,
                var: o.var.clone(),
                replacement: import::scrub_comment(&o.var),
            })
            .collect(),
        file_outcome,
        ignored: plan
            .ignored
            .iter()
            .map(|i| match i.reason {
                Some(why) => format!("{}: {why}", i.origin),
                None => i.origin.to_string(),
            })
            .collect(),
        notes: plan.notes.clone(),
    })
}

/// Carries out the plan shown with `token`: fails, changing nothing, when
/// the file or the settings changed since.
pub fn apply(
    settings_file: &Path,
    source: &Source,
    expected_token: &str,
    store: Arc<dyn SecretStore>,
) -> Result<Applied, CommandError> {
    let plan = make_plan(settings_file, source)?;
    if token(&plan, settings_file) != expected_token {
        return Err(CommandError::msg(
            "the file or the settings changed since the plan was shown; nothing was changed. \
             Look at the new plan and confirm again",
        ));
    }
    // A picked file's text (with its PrivateKey) is never written to disk:
    // the core applies it from memory.
    let secrets = Secrets::new(store, plan.profile());
    match source {
        Source::File(path) => block_on(import::apply(&plan, path, settings_file, Some(&secrets)))?,
        Source::Text(t) => block_on(import::apply_text(
            &plan,
            &t.0,
            settings_file,
            Some(&secrets),
        ))?,
    }
    .map_err(|e| CommandError::msg(e.to_string()))
}

/// Runs a future from blocking code: on the current runtime's handle (the
/// commands run on its blocking pool), or on a runtime of its own.
fn block_on<F: std::future::Future>(f: F) -> Result<F::Output, CommandError> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => Ok(handle.block_on(f)),
        Err(_) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|rt| rt.block_on(f))
            .map_err(|e| CommandError::msg(format!("the import task: {e}"))),
    }
}
