//! Carrying out an [`ImportPlan`].
//!
//! The order keeps a failure from leaving a half-done import behind:
//! 1. check that the file and the settings are still what the plan was made
//!    from;
//! 2. write the rewritten file to a temporary file next to it (same mode);
//! 3. store the secrets, remembering what each replaced; if one fails, the
//!    earlier ones are put back;
//! 4. save the settings (validated, atomic); if that fails, the secrets are
//!    put back;
//! 5. rename the temporary file over the original.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::ImportPlan;
use crate::secrets::{ExposeSecret, SecretError, SecretKind, SecretString, Secrets};
use crate::settings::{Settings, SettingsError};

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
    #[error("storing the {}: {source}; {}", .kind.label(), rollback_text(.rollback))]
    Secret {
        kind: SecretKind,
        #[source]
        source: SecretError,
        rollback: Option<SecretError>,
    },
    #[error("saving the settings: {source}; {}", rollback_text(.rollback))]
    Settings {
        #[source]
        source: SettingsError,
        rollback: Option<SecretError>,
    },
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

fn rollback_text(rollback: &Option<SecretError>) -> String {
    match rollback {
        None => "nothing was changed".to_owned(),
        Some(e) => format!(
            "putting back the keychain items stored before failed too ({e}); \
             check them with `tvpn secrets list`"
        ),
    }
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

    // 3. Secrets, with what they replace.
    let mut replaced: Vec<(SecretKind, Option<SecretString>)> = Vec::new();
    if let Some(store) = secrets {
        for s in &plan.secrets {
            let result = match store.get(s.kind).await {
                Ok(before) => store.set(s.kind, s.value.clone()).await.map(|()| before),
                Err(e) => Err(e),
            };
            match result {
                Ok(before) => replaced.push((s.kind, before)),
                Err(source) => {
                    let rollback = put_back(store, replaced).await.err();
                    return Err(ApplyError::Secret {
                        kind: s.kind,
                        source,
                        rollback,
                    });
                }
            }
        }
    }

    // 4. Settings.
    let settings_saved = plan.settings_change();
    if settings_saved {
        if let Err(source) = plan.settings.save(settings_file) {
            let rollback = match secrets {
                Some(store) => put_back(store, replaced).await.err(),
                None => None,
            };
            return Err(ApplyError::Settings { source, rollback });
        }
    }

    // 5. The file.
    let file_rewritten = staged.is_some();
    if let Some((tmp, target)) = staged {
        tmp.persist(&target).map_err(|e| ApplyError::Replace {
            path: target.clone(),
            source: e.error,
        })?;
    }
    Ok(Applied {
        secrets_stored: plan.secrets.len(),
        settings_saved,
        file_rewritten,
    })
}

/// Restores each replaced item (or removes it when there was none), newest first.
async fn put_back(
    store: &Secrets,
    replaced: Vec<(SecretKind, Option<SecretString>)>,
) -> Result<(), SecretError> {
    let mut first_error = None;
    for (kind, before) in replaced.into_iter().rev() {
        let result = match before {
            Some(v) => store.set(kind, v).await,
            None => store.delete(kind).await,
        };
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
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
