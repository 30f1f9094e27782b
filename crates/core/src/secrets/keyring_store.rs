//! The OS keychain through keyring-core: Keychain Services on macOS, the
//! Secret Service (D-Bus, pure Rust) elsewhere.
//!
//! The store object is created once and owned here; nothing is global, and
//! if the platform store cannot be opened the caller gets that error rather
//! than a silent in-memory substitute.

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error as KError};
use secrecy::{ExposeSecret, SecretString};

use super::{SecretError, SecretKind, SecretStore, SERVICE};

pub struct KeyringStore {
    store: Arc<CredentialStore>,
}

impl KeyringStore {
    /// Open the platform keychain.
    pub fn open() -> Result<Self, SecretError> {
        Ok(Self {
            store: imp::open().map_err(map_open_error)?,
        })
    }

    /// Which platform store this is.
    pub fn backend_name(&self) -> String {
        self.store.vendor()
    }

    fn entry(&self, profile: &str, kind: SecretKind) -> Result<Entry, SecretError> {
        let account = format!("{profile}/{}", kind.key());
        Entry::new_in_store(&self.store, SERVICE, &account).map_err(|e| map_error(e, kind))
    }
}

#[cfg(target_os = "macos")]
#[path = "keyring_macos.rs"]
mod imp;

#[cfg(not(target_os = "macos"))]
mod imp {
    use std::sync::Arc;

    use keyring_core::{CredentialStore, Result};

    pub fn open() -> Result<Arc<CredentialStore>> {
        let store: Arc<CredentialStore> = zbus_secret_service_keyring_store::Store::new()?;
        Ok(store)
    }
}

fn map_open_error(e: KError) -> SecretError {
    match e {
        KError::NoStorageAccess(p) => SecretError::Unavailable(p.to_string()),
        KError::PlatformFailure(p) => SecretError::Unavailable(p.to_string()),
        other => SecretError::Unavailable(other.to_string()),
    }
}

/// keyring-core errors carry no secret values except `BadEncoding`'s bytes,
/// which are dropped here.
fn map_error(e: KError, kind: SecretKind) -> SecretError {
    match e {
        KError::NoStorageAccess(p) => {
            let text = p.to_string();
            let lower = text.to_lowercase();
            // The Secret Service only prompts to unlock a collection: a
            // dismissed prompt there means the keychain stayed locked.
            let unlock_prompt = !cfg!(target_os = "macos") && lower.contains("prompt dismissed");
            if lower.contains("lock") || unlock_prompt {
                SecretError::Locked(text)
            } else if lower.contains("denied")
                || lower.contains("not allowed")
                || lower.contains("dismissed")
            {
                SecretError::AccessDenied(text)
            } else {
                SecretError::Unavailable(text)
            }
        }
        KError::PlatformFailure(p) => {
            let text = p.to_string();
            if text.to_lowercase().contains("islocked") || text.to_lowercase().contains("locked") {
                SecretError::Locked(text)
            } else {
                SecretError::Platform(text)
            }
        }
        KError::BadEncoding(_) | KError::BadDataFormat(..) => SecretError::BadEncoding(kind),
        KError::NoEntry => SecretError::Platform("no such item".to_owned()),
        KError::Ambiguous(list) => {
            SecretError::Platform(format!("{} items match {}", list.len(), kind.key()))
        }
        KError::TooLong(what, max) => SecretError::Platform(format!("{what} is longer than {max}")),
        KError::Invalid(what, why) => SecretError::Platform(format!("invalid {what}: {why}")),
        other => SecretError::Platform(other.to_string()),
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, profile: &str, kind: SecretKind) -> Result<Option<SecretString>, SecretError> {
        match self.entry(profile, kind)?.get_password() {
            Ok(v) => Ok(Some(SecretString::from(v))),
            Err(KError::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e, kind)),
        }
    }

    fn set(
        &self,
        profile: &str,
        kind: SecretKind,
        value: &SecretString,
    ) -> Result<(), SecretError> {
        self.entry(profile, kind)?
            .set_password(value.expose_secret())
            .map_err(|e| map_error(e, kind))
    }

    fn delete(&self, profile: &str, kind: SecretKind) -> Result<(), SecretError> {
        match self.entry(profile, kind)?.delete_credential() {
            Ok(()) | Err(KError::NoEntry) => Ok(()),
            Err(e) => Err(map_error(e, kind)),
        }
    }

    fn backend(&self) -> String {
        self.backend_name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_and_denied_errors_read_as_such() {
        let locked = map_error(
            KError::NoStorageAccess(Box::new(std::io::Error::other(
                "Cannot create an item in a locked collection (org.freedesktop.Secret.Error.IsLocked)",
            ))),
            SecretKind::WireguardPrivateKey,
        );
        assert!(matches!(locked, SecretError::Locked(_)), "{locked:?}");
        assert!(locked.to_string().contains("locked"));
        let denied = map_error(
            KError::NoStorageAccess(Box::new(std::io::Error::other(
                "User interaction is not allowed.",
            ))),
            SecretKind::WireguardPrivateKey,
        );
        assert!(matches!(denied, SecretError::AccessDenied(_)), "{denied:?}");
        let bad = map_error(
            KError::BadEncoding(b"secret-bytes".to_vec()),
            SecretKind::OpenvpnPassword,
        );
        assert!(!format!("{bad:?}{bad}").contains("secret-bytes"));
    }
}
