//! The in-memory fake, for unit tests. Never used by the app or the CLI.

use std::collections::HashMap;
use std::sync::Mutex;

use secrecy::{ExposeSecret, SecretString};

use super::{SecretError, SecretKind, SecretStore};

type Items = HashMap<(String, SecretKind), SecretString>;

#[derive(Default)]
pub struct MemoryStore {
    items: Mutex<Items>,
    /// When set, every call fails with this error (to test error paths).
    fail_with: Mutex<Option<SecretError>>,
}

impl MemoryStore {
    pub fn failing(err: SecretError) -> Self {
        Self {
            items: Mutex::default(),
            fail_with: Mutex::new(Some(err)),
        }
    }

    fn check(&self) -> Result<(), SecretError> {
        match self
            .fail_with
            .lock()
            .map_err(|e| SecretError::Platform(e.to_string()))?
            .as_ref()
        {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn items(&self) -> Result<std::sync::MutexGuard<'_, Items>, SecretError> {
        self.items
            .lock()
            .map_err(|e| SecretError::Platform(e.to_string()))
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, profile: &str, kind: SecretKind) -> Result<Option<SecretString>, SecretError> {
        self.check()?;
        Ok(self
            .items()?
            .get(&(profile.to_owned(), kind))
            .map(|s| SecretString::from(s.expose_secret().to_owned())))
    }

    fn set(
        &self,
        profile: &str,
        kind: SecretKind,
        value: &SecretString,
    ) -> Result<(), SecretError> {
        self.check()?;
        self.items()?.insert(
            (profile.to_owned(), kind),
            SecretString::from(value.expose_secret().to_owned()),
        );
        Ok(())
    }

    fn delete(&self, profile: &str, kind: SecretKind) -> Result<(), SecretError> {
        self.check()?;
        self.items()?.remove(&(profile.to_owned(), kind));
        Ok(())
    }

    fn backend(&self) -> String {
        "in-memory (tests only)".to_owned()
    }
}
