//! The real keychain: the Secret Service on Linux (gnome-keyring under
//! `dbus-run-session`, as `scripts/test` runs it). Ignored by a plain
//! `cargo test`; `scripts/test` runs it with `--include-ignored`, and then it
//! fails rather than skips when no Secret Service answers.

use std::sync::Arc;

use tvpn_core::secrets::{
    ExposeSecret, KeyringStore, SecretError, SecretKind, SecretString, Secrets,
};

fn unique_profile(tag: &str) -> String {
    format!("test-{tag}-{}", std::process::id())
}

#[tokio::test]
#[ignore = "needs a Secret Service (scripts/test provides one)"]
async fn secrets_round_trip_through_the_real_store() {
    let store = KeyringStore::open().expect("a Secret Service must answer");
    let backend = store.backend_name();
    assert!(
        backend.contains("Secret Service"),
        "unexpected backend {backend}"
    );
    let secrets = Secrets::new(Arc::new(store), unique_profile("rt"));

    let key = SecretString::from("rBvyUqvwcMNCeRlQb4Kb8Y0VUbrXd6xH0gC0Bo2r5nM=".to_owned());
    secrets
        .set(SecretKind::WireguardPrivateKey, key)
        .await
        .unwrap();
    // A second store instance sees it: it really persisted.
    let again = Secrets::new(
        Arc::new(KeyringStore::open().unwrap()),
        secrets.profile().to_owned(),
    );
    let got = again
        .require(SecretKind::WireguardPrivateKey)
        .await
        .unwrap();
    assert_eq!(
        got.expose_secret(),
        "rBvyUqvwcMNCeRlQb4Kb8Y0VUbrXd6xH0gC0Bo2r5nM="
    );

    // Overwrite, then delete (twice: deleting a missing item is fine).
    again
        .set(
            SecretKind::WireguardPrivateKey,
            SecretString::from("second".to_owned()),
        )
        .await
        .unwrap();
    assert_eq!(
        secrets
            .require(SecretKind::WireguardPrivateKey)
            .await
            .unwrap()
            .expose_secret(),
        "second"
    );
    secrets
        .delete(SecretKind::WireguardPrivateKey)
        .await
        .unwrap();
    secrets
        .delete(SecretKind::WireguardPrivateKey)
        .await
        .unwrap();
    assert!(secrets
        .get(SecretKind::WireguardPrivateKey)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
#[ignore = "needs a Secret Service (scripts/test provides one)"]
async fn a_missing_item_says_what_to_do() {
    let secrets = Secrets::new(
        Arc::new(KeyringStore::open().unwrap()),
        unique_profile("missing"),
    );
    let err = secrets
        .require(SecretKind::OpenvpnPassword)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        SecretError::Missing {
            kind: SecretKind::OpenvpnPassword,
            ..
        }
    ));
    assert!(err.to_string().contains("tvpn import-env"), "{err}");
}

#[test]
fn without_a_session_bus_opening_fails_clearly_instead_of_using_memory() {
    // The check runs in a child whose session bus address leads nowhere.
    if std::env::var_os("TVPN_KEYRING_CHILD").is_some() {
        let err = KeyringStore::open().err().expect("no store without a bus");
        assert!(matches!(err, SecretError::Unavailable(_)), "{err:?}");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "without_a_session_bus_opening_fails_clearly_instead_of_using_memory",
            "--nocapture",
        ])
        .env("TVPN_KEYRING_CHILD", "1")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("1 passed"), "{text}");
}

/// A locked keychain is reported as locked (never as a missing item, never
/// answered from memory). The lock would stop every other keyring test, so
/// this runs in a child with a D-Bus session and keyring of its own.
#[test]
#[ignore = "needs a Secret Service (scripts/test provides one)"]
fn a_locked_keychain_says_so() {
    if std::env::var_os("TVPN_KEYRING_LOCKED_CHILD").is_some() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let secrets = Secrets::new(
                Arc::new(KeyringStore::open().unwrap()),
                unique_profile("locked"),
            );
            secrets
                .set(
                    SecretKind::ControlApiKey,
                    SecretString::from("locked-test-value".to_owned()),
                )
                .await
                .unwrap();
            let lock = std::process::Command::new("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.secrets",
                    "/org/freedesktop/secrets",
                    "org.freedesktop.Secret.Service.Lock",
                    "array:objpath:/org/freedesktop/secrets/collection/login",
                ])
                .output()
                .unwrap();
            assert!(lock.status.success(), "locking failed: {lock:?}");
            let err = secrets.get(SecretKind::ControlApiKey).await.unwrap_err();
            println!("locked: {err}");
            assert!(matches!(err, SecretError::Locked(_)), "{err:?}");
            assert!(err.to_string().contains("locked"), "{err}");
            assert!(!err.to_string().contains("locked-test-value"));
        });
        return;
    }
    let with_keyring =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/lib/with-keyring.sh");
    let out = std::process::Command::new("dbus-run-session")
        .arg("--")
        .arg(with_keyring)
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_locked_keychain_says_so",
            "--include-ignored",
            "--nocapture",
        ])
        .env("TVPN_KEYRING_LOCKED_CHILD", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("1 passed"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
