//! The Web UI's login for the user: the address, the username and the
//! password the app keeps in the Keychain, a password the user chooses, and
//! copying it to the clipboard for a minute.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::error::StackError;
use super::harden::webui_url;
use super::manager::StackManager;
use crate::qbittorrent::{QbitClient, MIN_PASSWORD_LEN};
use crate::secrets::{SecretKind, Secrets};
use crate::settings::Settings;

/// How long a copied password stays on the clipboard.
pub const CLIPBOARD_SECONDS: u64 = 60;

/// What the user needs to log in to the Web UI.
pub struct WebUiLogin {
    pub url: String,
    pub username: String,
    /// `None` before the first connect generated one.
    pub password: Option<SecretString>,
}

/// The Web UI's login, from the settings and the Keychain.
pub async fn login_for(settings: &Settings, secrets: &Secrets) -> Result<WebUiLogin, StackError> {
    Ok(WebUiLogin {
        url: webui_url(settings),
        username: settings.qbittorrent.username.clone(),
        password: secrets.get(SecretKind::QbittorrentPassword).await?,
    })
}

/// A password the user may choose: qBittorrent's minimum length, one line,
/// at most 128 characters. The error says what is wrong, never the value.
pub fn check_password(password: &SecretString) -> Result<(), String> {
    let p = password.expose_secret();
    let chars = p.chars().count();
    if chars < MIN_PASSWORD_LEN {
        return Err(format!(
            "the password needs at least {MIN_PASSWORD_LEN} characters"
        ));
    }
    if chars > 128 {
        return Err("the password may have at most 128 characters".to_owned());
    }
    if p.chars().any(char::is_control) {
        return Err("the password must be one line without control characters".to_owned());
    }
    if p.trim() != p {
        return Err("the password must not start or end with a space".to_owned());
    }
    Ok(())
}

/// What setting the user's password did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordChange {
    /// Applied to the running qBittorrent and read back (the new password
    /// logs in, the old one does not), and stored in the Keychain.
    Applied,
    /// Stored; qBittorrent does not run, and gets it at the next connect
    /// (written into its config before the start).
    Stored,
}

impl StackManager {
    /// Set the Web UI password the user chose: validated, stored in the
    /// Keychain, applied through qBittorrent's API and read back by logging
    /// in with it in a new session. On any failure the old password is put
    /// back in both places.
    pub async fn set_webui_password(
        &self,
        new: SecretString,
    ) -> Result<PasswordChange, StackError> {
        check_password(&new).map_err(|message| StackError::Refused {
            field: "secrets.qbittorrent-password".to_owned(),
            message,
        })?;
        let _operation = self.lock_operation().await?;
        let secrets = self.secrets();
        let settings = self.settings();
        let old = secrets.get(SecretKind::QbittorrentPassword).await?;
        let url = webui_url(settings);
        let user = settings.qbittorrent.username.clone();
        let running = self
            .current()
            .await?
            .service(super::spec::QBITTORRENT)
            .is_some_and(|s| s.running);
        secrets
            .set(SecretKind::QbittorrentPassword, new.clone())
            .await?;
        if !running {
            return Ok(PasswordChange::Stored);
        }
        let applied = async {
            let Some(old) = &old else {
                return Err(StackError::Refused {
                    field: "secrets.qbittorrent-password".to_owned(),
                    message: "qBittorrent runs, but the Keychain holds no password for it; \
                              connect once, then change it"
                        .to_owned(),
                });
            };
            let qb = QbitClient::new(&url, user.clone())?;
            qb.login(old).await?;
            qb.set_password(&new).await?;
            let check = QbitClient::new(&url, user.clone())?;
            check.login(&new).await?;
            Ok(())
        }
        .await;
        match applied {
            Ok(()) => Ok(PasswordChange::Applied),
            Err(e) => {
                match old {
                    Some(old) => secrets.set(SecretKind::QbittorrentPassword, old).await?,
                    None => secrets.delete(SecretKind::QbittorrentPassword).await?,
                }
                Err(e)
            }
        }
    }
}

/// A clipboard, as the front-ends have it.
pub trait Clipboard {
    fn set_text(&mut self, text: &str) -> Result<(), String>;
    fn text(&mut self) -> Option<String>;
    fn clear(&mut self) -> Result<(), String>;
}

/// Put `secret` on the clipboard, wait `after`, then clear it unless
/// something else was copied meanwhile. Returns whether it was cleared.
pub async fn copy_for<C: Clipboard>(
    clipboard: &mut C,
    secret: &SecretString,
    after: Duration,
) -> Result<bool, String> {
    clipboard.set_text(secret.expose_secret())?;
    tokio::time::sleep(after).await;
    if clipboard.text().as_deref() == Some(secret.expose_secret()) {
        clipboard.clear()?;
        Ok(true)
    } else {
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Board(Option<String>);

    impl Clipboard for Board {
        fn set_text(&mut self, text: &str) -> Result<(), String> {
            self.0 = Some(text.to_owned());
            Ok(())
        }
        fn text(&mut self) -> Option<String> {
            self.0.clone()
        }
        fn clear(&mut self) -> Result<(), String> {
            self.0 = None;
            Ok(())
        }
    }

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[tokio::test(start_paused = true)]
    async fn the_copied_password_is_cleared_after_a_minute() {
        let mut board = Board::default();
        let cleared = copy_for(&mut board, &secret("pw-123456"), Duration::from_secs(60))
            .await
            .unwrap();
        assert!(cleared);
        assert_eq!(board.0, None);
    }

    #[tokio::test(start_paused = true)]
    async fn something_copied_meanwhile_is_left_alone() {
        struct Busy(Board);
        impl Clipboard for Busy {
            fn set_text(&mut self, text: &str) -> Result<(), String> {
                self.0.set_text(text)
            }
            fn text(&mut self) -> Option<String> {
                // The user copied something else in the meantime.
                Some("a link the user copied".to_owned())
            }
            fn clear(&mut self) -> Result<(), String> {
                self.0.clear()
            }
        }
        let mut board = Busy(Board::default());
        let cleared = copy_for(&mut board, &secret("pw-123456"), Duration::from_secs(60))
            .await
            .unwrap();
        assert!(!cleared);
        assert!(board.0 .0.is_some(), "not cleared");
    }

    #[test]
    fn chosen_passwords_are_checked_without_echoing_them() {
        assert!(check_password(&secret("correct horse battery")).is_ok());
        for (bad, why) in [
            ("short", "at least"),
            (" leading-space", "space"),
            ("two\nlines", "one line"),
        ] {
            let e = check_password(&secret(bad)).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
            assert!(!e.contains(bad.trim()), "the error shows the value: {e}");
        }
        assert!(check_password(&secret(&"x".repeat(129))).is_err());
    }
}
