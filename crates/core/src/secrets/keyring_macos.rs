//! macOS: the login keychain through Keychain Services.

use std::sync::Arc;

use keyring_core::{CredentialStore, Result};

pub fn open() -> Result<Arc<CredentialStore>> {
    let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
    Ok(store)
}
