//! Carrying out an [`ImportPlan`].
//!
//! The order keeps a failure from leaving a half-done import behind:
//! 1. check that the file and the settings are still what the plan was made
//!    from;
//! 2. write the rewritten file to a temporary file next to it (same mode);
//! 3. store the secrets and save the settings with [`settings::commit`]:
//!    all or nothing, the old settings file and keychain items put back on
//!    any failure;
//! 4. rename the temporary file over the original.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::ImportPlan;
use crate::secrets::{ExposeSecret, SecretError, SecretString, Secrets};
use crate::settings::{self, CommitError, Committed, Settings};

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{} changed since the plan was made; nothing was changed, run the import again", .0.display())]
    SourceChanged(PathBuf),
    #[error("the settings in {} changed since the plan was made; nothing was changed, run the import again", .0.display())]
    SettingsChanged(PathBuf),
    #[error(
        "the plan stores secrets for profile {plan:?}, but the keychain was opened for {given:?}"
    )]
    WrongProfile { plan: String, given: String },
    #[error("the plan stores secrets, but no keychain was given")]
    NoKeychain,
    #[error("{}: {source}; nothing was changed", .path.display())]
    Prepare {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Storing the secrets or saving the settings failed; what was done is
    /// undone.
    #[error(transparent)]
    Commit(#[from] CommitError),
    /// The keychain task ended before saying how it went.
    #[error("{0}; check the settings and `tvpn secrets list`")]
    Task(SecretError),
    #[error(
        "the secrets and settings were imported, but {} could not be replaced: {source}. \
         It still holds the secrets: run the import again, or delete the file",
        .path.display()
    )]
    Replace {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub secrets_stored: usize,
    pub settings_saved: bool,
    pub file_rewritten: bool,
}

/// Carry out `plan`, made from the file at `source`. `secrets` must be given
/// (for the plan's profile) when the plan has secrets.
pub async fn apply(
    plan: &ImportPlan,
    source: &Path,
    settings_file: &Path,
    secrets: Option<&Secrets>,
) -> Result<Applied, ApplyError> {
    let bytes = std::fs::read(source).map_err(|e| ApplyError::Prepare {
        path: source.to_path_buf(),
        source: e,
    })?;
    apply_bytes(plan, source, &bytes, settings_file, secrets).await
}

/// [`apply`] for a file's text the user picked (a wg-quick file, which is
/// never rewritten): nothing of it is written anywhere but the Keychain.
pub async fn apply_text(
    plan: &ImportPlan,
    text: &SecretString,
    settings_file: &Path,
    secrets: Option<&Secrets>,
) -> Result<Applied, ApplyError> {
    let label = Path::new("(the picked file)");
    if plan.rewritten.is_some() {
        return Err(ApplyError::SourceChanged(label.to_path_buf()));
    }
    apply_bytes(
        plan,
        label,
        text.expose_secret().as_bytes(),
        settings_file,
        secrets,
    )
    .await
}

async fn apply_bytes(
    plan: &ImportPlan,
    source: &Path,
    bytes: &[u8],
    settings_file: &Path,
    secrets: Option<&Secrets>,
) -> Result<Applied, ApplyError> {
    let secrets = match (plan.secrets.is_empty(), secrets) {
        (true, _) => None,
        (false, None) => return Err(ApplyError::NoKeychain),
        (false, Some(s)) if s.profile() != plan.profile() => {
            return Err(ApplyError::WrongProfile {
                plan: plan.profile().to_owned(),
                given: s.profile().to_owned(),
            })
        }
        (false, Some(s)) => Some(s),
    };

    // 1. Still what the plan was made from?
    let digest: [u8; 32] = Sha256::digest(bytes).into();
    if digest != plan.source_sha256 {
        return Err(ApplyError::SourceChanged(source.to_path_buf()));
    }
    let current = Settings::load(settings_file)
        .map_err(|_| ApplyError::SettingsChanged(settings_file.to_path_buf()))?;
    if current != plan.previous {
        return Err(ApplyError::SettingsChanged(settings_file.to_path_buf()));
    }

    // 2. The rewritten file, ready to be renamed into place.
    let staged = match &plan.rewritten {
        Some(content) => Some(
            stage(source, content).map_err(|(path, e)| ApplyError::Prepare { path, source: e })?,
        ),
        None => None,
    };

    // 3. Secrets and settings, all or nothing.
    let Committed {
        secrets_stored,
        settings_written: settings_saved,
    } = match secrets {
        Some(store) => {
            let (file, settings) = (settings_file.to_path_buf(), plan.settings.clone());
            let items: Vec<_> = plan
                .secrets
                .iter()
                .map(|s| (s.kind, s.value.clone()))
                .collect();
            store
                .blocking(move |store, _| {
                    Ok(settings::commit(&file, &settings, &items, Some(store)))
                })
                .await
                .map_err(ApplyError::Task)??
        }
        None => settings::commit(settings_file, &plan.settings, &[], None)?,
    };

    // 4. The file.
    let file_rewritten = staged.is_some();
    if let Some((tmp, target)) = staged {
        tmp.persist(&target).map_err(|e| ApplyError::Replace {
            path: target.clone(),
            source: e.error,
        })?;
    }
    Ok(Applied {
        secrets_stored,
        settings_saved,
        file_rewritten,
    })
}

/// Writes `content` to a temporary file in the same folder as the file
/// `source` points to (a symlink is followed, so the link stays), with the
/// same permissions, synced. Returns it and the path to rename it to.
fn stage(
    source: &Path,
    content: &[u8],
) -> Result<(tempfile::NamedTempFile, PathBuf), (PathBuf, std::io::Error)> {
    let target = std::fs::canonicalize(source).map_err(|e| (source.to_path_buf(), e))?;
    let dir = target
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let fail = |e: std::io::Error| (dir.clone(), e);
    let permissions = std::fs::metadata(&target)
        .map_err(|e| (target.clone(), e))?
        .permissions();
    let mut tmp = tempfile::Builder::new()
        .prefix(".tvpn-import-")
        .tempfile_in(&dir)
        .map_err(fail)?;
    tmp.write_all(content).map_err(fail)?;
    std::fs::set_permissions(tmp.path(), permissions).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    Ok((tmp, target))
}
