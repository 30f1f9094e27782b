//! Settings and their secrets, written as one change.
//!
//! [`commit`] is the only way the import, the settings window and the demo
//! write a settings file together with Keychain items. It either does all
//! of it or leaves everything as it was:
//! 1. the settings are validated; nothing is touched when they are wrong;
//! 2. each secret is stored under the settings' profile, remembering what
//!    it replaced; when one fails, the ones stored before are put back (the
//!    old value, or no item when there was none);
//! 3. the settings file is written last, in one rename
//!    ([`write_atomic`](super::write_atomic)), so the old file stays until
//!    everything else has worked; when the write fails, the secrets are
//!    put back.

use std::path::Path;

use super::{FieldError, Settings, SettingsError};
use crate::secrets::{SecretError, SecretKind, SecretStore, SecretString};

/// What [`commit`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub secrets_stored: usize,
    /// False when the file already held these settings.
    pub settings_written: bool,
}

/// Why [`commit`] failed. Each says whether putting things back worked;
/// none holds a secret value.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("there are secrets to store, but no keychain was given; nothing was changed")]
    NoKeychain,
    #[error("storing the {}: {source}; {}", .kind.label(), rollback_text(.rollback))]
    Secret {
        kind: SecretKind,
        #[source]
        source: SecretError,
        /// Putting back the items stored before failed too.
        rollback: Option<SecretError>,
    },
    #[error("saving the settings: {source}; {}", rollback_text(.rollback))]
    Settings {
        #[source]
        source: SettingsError,
        /// Putting back the items stored before failed too.
        rollback: Option<SecretError>,
    },
}

impl CommitError {
    /// The field errors, when the settings were invalid.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            CommitError::Settings { source, .. } => source.field_errors(),
            _ => &[],
        }
    }
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

/// Writes `settings` to `file` and stores `secrets` under the settings'
/// profile in `store`, all or nothing (see the module). `store` may be
/// `None` when there is no secret to store. The file is not rewritten when
/// it already holds these settings.
pub fn commit(
    file: &Path,
    settings: &Settings,
    secrets: &[(SecretKind, SecretString)],
    store: Option<&dyn SecretStore>,
) -> Result<Committed, CommitError> {
    settings
        .validate()
        .map_err(|source| CommitError::Settings {
            source,
            rollback: None,
        })?;
    let store = match (secrets.is_empty(), store) {
        (true, _) => None,
        (false, None) => return Err(CommitError::NoKeychain),
        (false, Some(s)) => Some(s),
    };
    let profile = settings.profile.as_str();

    let mut replaced: Vec<(SecretKind, Option<SecretString>)> = Vec::new();
    if let Some(store) = store {
        for (kind, value) in secrets {
            let result = store
                .get(profile, *kind)
                .and_then(|before| store.set(profile, *kind, value).map(|()| before));
            match result {
                Ok(before) => replaced.push((*kind, before)),
                Err(source) => {
                    return Err(CommitError::Secret {
                        kind: *kind,
                        source,
                        rollback: put_back(store, profile, replaced).err(),
                    })
                }
            }
        }
    }

    let settings_written =
        !matches!(Settings::load(file), Ok(Some(current)) if current == *settings);
    if settings_written {
        if let Err(source) = settings.save(file) {
            let rollback = store.and_then(|s| put_back(s, profile, replaced).err());
            return Err(CommitError::Settings { source, rollback });
        }
    }
    Ok(Committed {
        secrets_stored: secrets.len(),
        settings_written,
    })
}

/// Restores each replaced item (or removes it when there was none), newest
/// first; the first error, after trying them all.
fn put_back(
    store: &dyn SecretStore,
    profile: &str,
    replaced: Vec<(SecretKind, Option<SecretString>)>,
) -> Result<(), SecretError> {
    let mut first_error = None;
    for (kind, before) in replaced.into_iter().rev() {
        let result = match before {
            Some(v) => store.set(profile, kind, &v),
            None => store.delete(profile, kind),
        };
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}
