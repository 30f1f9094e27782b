//! The command layer's pure functions, with the in-memory secret store.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;
use tvpn_core::paths::AppPaths;
use tvpn_core::secrets::{
    ExposeSecret, MemoryStore, SecretError, SecretKind, SecretStore, SecretString,
};
use tvpn_core::settings::{Field, Settings};

use super::demo::{self, DemoSource};
use super::import::{self, Source};
use super::settings_form::{self, SecretsInput, SettingsForm};

const PRIVATE_KEY: &str = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
const PUBLIC_KEY: &str = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

fn form() -> SettingsForm {
    SettingsForm {
        provider: "custom".into(),
        vpn_type: "wireguard".into(),
        server_countries: String::new(),
        port_forwarding: false,
        port_forwarding_provider: String::new(),
        endpoint: "203.0.113.5:51820".into(),
        public_key: PUBLIC_KEY.into(),
        addresses: "10.64.0.2/32".into(),
        downloads_dir: "/srv/downloads/Torrents".into(),
        lan_access: false,
        lan_subnets: String::new(),
        daily_backup: false,
    }
}

fn secrets(v: serde_json::Value) -> SecretsInput {
    serde_json::from_value(v).unwrap()
}

fn nothing_stored(store: &dyn SecretStore, profile: &str) -> bool {
    SecretKind::ALL
        .into_iter()
        .all(|k| store.get(profile, k).unwrap().is_none())
}

/// The fields an error names, as the window receives them.
fn fields(e: &super::CommandError) -> Vec<String> {
    e.fields.iter().map(|f| f.field.to_string()).collect()
}

#[test]
fn an_invalid_key_is_a_field_error_and_nothing_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    let store = MemoryStore::default();
    let err = settings_form::save(
        &file,
        &store,
        &form(),
        secrets(json!({"wireguard_private_key": "not-a-key"})),
    )
    .unwrap_err();
    assert_eq!(fields(&err), ["secrets.wireguard-private-key"], "{err:?}");
    assert!(err.fields[0].message.contains("not a WireGuard key"));
    assert!(err.message.contains("nothing was saved"));
    assert!(!file.exists());
    assert!(nothing_stored(&store, "default"));
}

#[test]
fn an_invalid_submit_leaves_the_file_and_the_store_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    let store = MemoryStore::default();
    settings_form::save(
        &file,
        &store,
        &form(),
        secrets(json!({"wireguard_private_key": PRIVATE_KEY})),
    )
    .unwrap();
    let before = std::fs::read(&file).unwrap();

    // A valid new key, but an invalid public key and LAN subnet: neither is kept.
    let other_key = "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28=";
    assert!(tvpn_core::settings::is_wireguard_key(other_key));
    let mut bad = form();
    bad.public_key = "short".into();
    bad.lan_subnets = "192.168.1.7/24".into();
    bad.downloads_dir = "/tmp/other".into();
    let err = settings_form::save(
        &file,
        &store,
        &bad,
        secrets(json!({"wireguard_private_key": other_key})),
    )
    .unwrap_err();
    assert_eq!(
        fields(&err),
        ["vpn.wireguard.public_key", "stack.lan_subnets[0]"],
        "{err:?}"
    );
    assert!(err.fields[1].message.contains("192.168.1.0/24"));
    assert_eq!(std::fs::read(&file).unwrap(), before);
    let kept = store
        .get("default", SecretKind::WireguardPrivateKey)
        .unwrap()
        .unwrap();
    assert_eq!(kept.expose_secret(), PRIVATE_KEY);
}

#[test]
fn a_valid_submit_saves_the_settings_and_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    let store = MemoryStore::default();
    let mut f = form();
    f.lan_subnets = "192.168.1.0/24, 10.0.0.0/8".into();
    // Countries need a provider with a server list (gluetun has none for
    // custom).
    f.provider = "mullvad".into();
    f.server_countries = "Sweden, Netherlands".into();
    settings_form::save(
        &file,
        &store,
        &f,
        secrets(json!({"wireguard_private_key": format!("  {PRIVATE_KEY}\n")})),
    )
    .unwrap();
    let saved = Settings::load(&file).unwrap().unwrap();
    assert_eq!(
        saved.vpn.wireguard.endpoint,
        Some("203.0.113.5:51820".parse().unwrap())
    );
    assert_eq!(saved.vpn.wireguard.public_key.as_deref(), Some(PUBLIC_KEY));
    assert_eq!(saved.vpn.server_countries, ["Sweden", "Netherlands"]);
    assert_eq!(saved.stack.bind_address.to_string(), "127.0.0.1");
    assert_eq!(saved.stack.lan_subnets.len(), 2);
    assert_eq!(
        store
            .get("default", SecretKind::WireguardPrivateKey)
            .unwrap()
            .unwrap()
            .expose_secret(),
        PRIVATE_KEY
    );
    assert!(!std::fs::read_to_string(&file)
        .unwrap()
        .contains(PRIVATE_KEY));

    // Editing later keeps the stored key and the settings the form does not show.
    let mut with_env = saved.clone();
    with_env
        .stack
        .gateway_env
        .insert("LOG_LEVEL".into(), "debug".into());
    with_env.backup.keep = 3;
    with_env.save(&file).unwrap();
    let mut edit = SettingsForm::from_settings(&with_env);
    assert!(!edit.daily_backup);
    edit.lan_access = false;
    edit.daily_backup = true;
    settings_form::save(&file, &store, &edit, SecretsInput::default()).unwrap();
    let again = Settings::load(&file).unwrap().unwrap();
    assert_eq!(again.stack.bind_address.to_string(), "127.0.0.1");
    assert_eq!(again.stack.gateway_env.get("LOG_LEVEL").unwrap(), "debug");
    assert!(again.backup.daily, "the form's daily backup");
    assert_eq!(again.backup.keep, 3, "kept from the file");
}

#[test]
fn required_secrets_and_unparsable_fields_are_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    let store = MemoryStore::default();
    let mut f = form();
    f.endpoint = "vpn.example.com:51820".into();
    f.addresses = "10.64.0.2/32 nonsense".into();
    let err = settings_form::save(&file, &store, &f, SecretsInput::default()).unwrap_err();
    assert_eq!(
        fields(&err),
        [
            "vpn.wireguard.endpoint",
            "vpn.wireguard.addresses",
            "secrets.wireguard-private-key"
        ],
        "{err:?}"
    );
    assert!(err.fields[2].message.starts_with("required"));

    let mut ovpn = form();
    ovpn.provider = "mullvad".into();
    ovpn.vpn_type = "openvpn".into();
    let err = settings_form::save(&file, &store, &ovpn, secrets(json!({"openvpn_user": "me"})))
        .unwrap_err();
    assert_eq!(fields(&err), ["secrets.openvpn-password"], "{err:?}");
    assert!(!file.exists());
    assert!(nothing_stored(&store, "default"));
}

#[test]
fn a_locked_keychain_saves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    let store = MemoryStore::failing(SecretError::Locked("test".into()));
    let err = settings_form::save(
        &file,
        &store,
        &form(),
        secrets(json!({"wireguard_private_key": PRIVATE_KEY})),
    )
    .unwrap_err();
    assert!(err.message.contains("locked"), "{err:?}");
    assert!(!file.exists());
}

/// A keychain that stores everything but the preshared key.
struct NoPresharedKey(MemoryStore);

impl SecretStore for NoPresharedKey {
    fn get(&self, p: &str, k: SecretKind) -> Result<Option<SecretString>, SecretError> {
        self.0.get(p, k)
    }
    fn set(&self, p: &str, k: SecretKind, v: &SecretString) -> Result<(), SecretError> {
        if k == SecretKind::WireguardPresharedKey {
            return Err(SecretError::Platform("test".into()));
        }
        self.0.set(p, k, v)
    }
    fn delete(&self, p: &str, k: SecretKind) -> Result<(), SecretError> {
        self.0.delete(p, k)
    }
    fn backend(&self) -> String {
        "test".into()
    }
}

#[test]
fn a_secret_that_cannot_be_stored_leaves_the_old_settings_and_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    let store = NoPresharedKey(MemoryStore::default());
    settings_form::save(
        &file,
        &store,
        &form(),
        secrets(json!({"wireguard_private_key": PRIVATE_KEY})),
    )
    .unwrap();
    let before = std::fs::read(&file).unwrap();

    let mut f = form();
    f.endpoint = "203.0.113.9:51820".into();
    let other_key = "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28=";
    let err = settings_form::save(
        &file,
        &store,
        &f,
        secrets(json!({
            "wireguard_private_key": other_key,
            "wireguard_preshared_key": PUBLIC_KEY,
        })),
    )
    .unwrap_err();
    assert!(
        err.message
            .starts_with("storing the WireGuard preshared key")
            && err.message.contains("nothing was changed"),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);
    let kept = store
        .get("default", SecretKind::WireguardPrivateKey)
        .unwrap()
        .unwrap();
    assert_eq!(kept.expose_secret(), PRIVATE_KEY);
}

#[test]
fn the_view_says_stored_but_never_holds_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let paths = AppPaths::in_dir(dir.path().to_path_buf());
    let store = MemoryStore::default();
    let no_demo = DemoSource::in_repo(dir.path().join("no-repo"), None);
    let view = settings_form::load_view(&paths, Ok(&store), &no_demo);
    assert!(!view.configured);
    assert!(!view.demo.available);
    assert!(view.providers.contains(&"mullvad"));

    settings_form::save(
        &paths.settings_file(),
        &store,
        &form(),
        secrets(json!({"wireguard_private_key": PRIVATE_KEY, "openvpn_password": "hunter2-pw"})),
    )
    .unwrap();
    let view = settings_form::load_view(&paths, Ok(&store), &no_demo);
    assert!(view.configured);
    assert_eq!(view.form, form());
    let stored: Vec<(&str, Option<bool>)> = view
        .secrets
        .iter()
        .map(|s| (s.kind.key(), s.stored))
        .collect();
    assert!(stored.contains(&("wireguard-private-key", Some(true))));
    assert!(stored.contains(&("wireguard-preshared-key", Some(false))));
    let shown = serde_json::to_string(&view).unwrap();
    assert!(!shown.contains(PRIVATE_KEY) && !shown.contains("hunter2"));

    let locked = MemoryStore::failing(SecretError::Locked("test".into()));
    let view = settings_form::load_view(&paths, Ok(&locked), &no_demo);
    assert!(view.keychain_error.unwrap().contains("locked"));
    assert!(view.secrets.iter().all(|s| s.stored.is_none()));
}

#[test]
fn secrets_input_trims_wraps_and_hides() {
    let s = secrets(json!({"wireguard_private_key": "  abc \n", "openvpn_user": "   "}));
    assert_eq!(
        s.wireguard_private_key.as_ref().unwrap().expose_secret(),
        "abc"
    );
    assert!(s.openvpn_user.is_none());
    assert!(!format!("{s:?}").contains("abc"));
    assert!(serde_json::from_value::<SecretsInput>(json!({"other": "x"})).is_err());
}

fn env_file(dir: &Path) -> PathBuf {
    let path = dir.join(".env");
    std::fs::write(
        &path,
        format!(
            "# my compose setup\nVPN_SERVICE_PROVIDER=custom\nVPN_TYPE=wireguard\n\
             WIREGUARD_PRIVATE_KEY={PRIVATE_KEY}\nWIREGUARD_ADDRESSES=10.64.0.2/32\n\
             WIREGUARD_PUBLIC_KEY={PUBLIC_KEY}\nWIREGUARD_ENDPOINT_IP=203.0.113.5\n\
             WIREGUARD_ENDPOINT_PORT=51820\nOTHER=kept\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn a_env_import_shows_its_plan_then_scrubs_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config/settings.toml");
    let env = env_file(dir.path());
    let original = std::fs::read_to_string(&env).unwrap();
    let source = Source::File(env.clone());

    let plan = import::plan_view(&file, &source).unwrap();
    assert_eq!(plan.format, "env");
    assert!(plan.new_settings_file);
    assert_eq!(plan.secrets.len(), 1);
    assert_eq!(plan.secrets[0].kind, SecretKind::WireguardPrivateKey);
    assert_eq!(plan.scrubbed.len(), 1);
    assert_eq!(plan.scrubbed[0].line, 4);
    assert!(plan.file_outcome.contains("replaced by a comment"));
    assert!(plan.rendered.contains("replaced by"));
    assert!(!serde_json::to_string(&plan).unwrap().contains(PRIVATE_KEY));
    assert_eq!(std::fs::read_to_string(&env).unwrap(), original);
    assert!(!file.exists());

    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    // A plan that no longer matches the file is refused.
    let err = import::apply(&file, &source, "stale", Arc::clone(&store)).unwrap_err();
    assert!(err.message.contains("changed since"), "{err:?}");
    assert!(!file.exists());

    let done = import::apply(&file, &source, &plan.token, Arc::clone(&store)).unwrap();
    assert!(done.file_rewritten && done.settings_saved);
    let scrubbed = std::fs::read_to_string(&env).unwrap();
    assert!(!scrubbed.contains(PRIVATE_KEY));
    assert!(scrubbed.contains("# WIREGUARD_PRIVATE_KEY: moved to"));
    assert!(scrubbed.contains("OTHER=kept"));
    assert!(Settings::load(&file).unwrap().is_some());
    assert_eq!(
        store
            .get("default", SecretKind::WireguardPrivateKey)
            .unwrap()
            .unwrap()
            .expose_secret(),
        PRIVATE_KEY
    );
}

#[test]
fn an_invalid_env_file_lists_its_problems_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    let env = dir.path().join(".env");
    std::fs::write(
        &env,
        "WIREGUARD_PRIVATE_KEY=nope\nVPN_TYPE=carrier-pigeon\n",
    )
    .unwrap();
    let err = import::plan_view(&file, &Source::File(env)).unwrap_err();
    assert_eq!(err.details.len(), 2, "{err:?}");
    assert!(err
        .details
        .iter()
        .any(|d| d.starts_with("line 1: WIREGUARD_PRIVATE_KEY")));
    assert!(!err.details.join(" ").contains("nope"));
}

#[test]
fn a_wg_quick_text_import_stores_the_key_and_the_settings() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    let text = format!(
        "[Interface]\nPrivateKey = {PRIVATE_KEY}\nAddress = 10.64.0.2/32\nDNS = 10.64.0.1\n\n\
         [Peer]\nPublicKey = {PUBLIC_KEY}\nEndpoint = 203.0.113.5:51820\nAllowedIPs = 0.0.0.0/0\n"
    );
    let source = || {
        let t: import::SecretText = serde_json::from_value(json!(text)).unwrap();
        Source::Text(t)
    };
    let plan = import::plan_view(&file, &source()).unwrap();
    assert_eq!(plan.format, "wg-quick");
    assert!(plan.file_outcome.contains("stays as it is"));
    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    import::apply(&file, &source(), &plan.token, Arc::clone(&store)).unwrap();
    let saved = Settings::load(&file).unwrap().unwrap();
    assert_eq!(saved.vpn.wireguard.public_key.as_deref(), Some(PUBLIC_KEY));
    assert!(store
        .get("default", SecretKind::WireguardPrivateKey)
        .unwrap()
        .is_some());

    // A .env file only comes by path, so that it can be scrubbed.
    let env: import::SecretText =
        serde_json::from_value(json!(format!("WIREGUARD_PRIVATE_KEY={PRIVATE_KEY}\n"))).unwrap();
    let err = import::plan_view(&file, &Source::Text(env)).unwrap_err();
    assert!(err.message.contains("from its path"), "{err:?}");
}

/// The lab's state folder as `scripts/lab up` leaves it before writing the
/// demo profile: fresh keys.
fn lab_keys(state: &Path) {
    let keys = state.join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    for (name, key) in [
        ("server.pub", PUBLIC_KEY),
        ("client.key", PRIVATE_KEY),
        ("psk", "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="),
    ] {
        std::fs::write(keys.join(name), format!("{key}\n")).unwrap();
    }
}

#[cfg(feature = "lab")]
#[test]
fn the_demo_is_offered_like_scripts_run_and_written_with_the_labs_keys() {
    use tvpn_core::settings::demo::{self as lab_demo, LabState};

    let repo = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let file = config.path().join("settings.toml");
    let source = DemoSource::in_repo(repo.path().to_path_buf(), None);
    assert!(!source.offer().available);
    assert!(
        !DemoSource::in_repo(repo.path().to_path_buf(), Some("1".into()))
            .offer()
            .available
    );

    // Keys, but the lab is not up yet.
    lab_keys(&source.state_dir);
    let store = MemoryStore::default();
    let err = demo::adopt(&source, &file, &store).unwrap_err();
    assert!(err.message.contains("scripts/lab up"), "{err:?}");
    assert!(!file.exists());
    assert!(nothing_stored(&store, lab_demo::PROFILE));

    // `scripts/lab up` wrote its profile (`tvpn lab-demo`).
    let lab = LabState::new(&source.state_dir);
    lab_demo::write(&lab, &source.settings_file, None).unwrap();
    assert!(source.offer().available && source.offer().ready);
    assert!(
        !DemoSource::in_repo(repo.path().to_path_buf(), Some("0".into()))
            .offer()
            .available
    );

    demo::adopt(&source, &file, &store).unwrap();
    let lab_profile = Settings::load(&source.settings_file).unwrap().unwrap();
    assert_eq!(Settings::load(&file).unwrap().unwrap(), lab_profile);
    assert_eq!(lab_profile.profile, "lab-demo");
    let key = store
        .get("lab-demo", SecretKind::WireguardPrivateKey)
        .unwrap()
        .unwrap();
    assert_eq!(key.expose_secret(), PRIVATE_KEY);
    assert!(!std::fs::read_to_string(&file)
        .unwrap()
        .contains(PRIVATE_KEY));
    assert!(demo::adopt(&source, &file, &store).is_err());
}

/// A build without the `lab` feature (what `cargo tauri build` makes): no
/// demo, even with the lab's profile on disk and `TVPN_DEMO=1`, and no test
/// hooks.
#[cfg(not(feature = "lab"))]
#[test]
fn a_release_build_has_no_demo_and_no_test_hooks() {
    let repo = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let file = config.path().join("settings.toml");
    std::fs::create_dir_all(repo.path().join("scripts")).unwrap();
    std::fs::write(repo.path().join("scripts/lab"), "#!/bin/sh\n").unwrap();
    let source = DemoSource::in_repo(repo.path().to_path_buf(), Some("1".into()));
    lab_keys(&source.state_dir);
    let mut demo_settings = Settings::new_custom_wireguard();
    demo_settings.profile = "lab-demo".into();
    demo_settings.vpn.wireguard.endpoint = Some("10.222.0.3:51820".parse().unwrap());
    demo_settings.vpn.wireguard.public_key = Some(PUBLIC_KEY.into());
    demo_settings.vpn.wireguard.addresses = vec!["10.66.66.2/32".parse().unwrap()];
    demo_settings.save(&source.settings_file).unwrap();
    assert!(!source.offer().available);
    assert!(!source.may_start_lab());
    let store = MemoryStore::default();
    assert!(demo::adopt(&source, &file, &store).is_err());
    assert!(!file.exists());
    assert!(nothing_stored(&store, "lab-demo"));
    let hooks = tempfile::tempdir().unwrap();
    assert!(crate::hooks::Hooks::from_dir(Some(hooks.path().as_os_str())).is_none());
}

#[test]
fn custom_port_forwarding_needs_the_forwarding_provider() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    let store = MemoryStore::default();
    let mut f = form();
    f.port_forwarding = true;
    let e = settings_form::save(
        &file,
        &store,
        &f,
        secrets(json!({"wireguard_private_key": PRIVATE_KEY})),
    )
    .unwrap_err();
    assert_eq!(fields(&e), ["vpn.port_forwarding"]);
    assert!(!file.exists(), "nothing is saved");
    assert!(nothing_stored(&store, "default"));

    f.port_forwarding_provider = "bogus".into();
    let e = settings_form::save(&file, &store, &f, secrets(json!({}))).unwrap_err();
    assert!(fields(&e)
        .iter()
        .any(|f| f == "vpn.port_forwarding_provider"));

    f.port_forwarding_provider = "protonvpn".into();
    settings_form::save(
        &file,
        &store,
        &f,
        secrets(json!({"wireguard_private_key": PRIVATE_KEY})),
    )
    .unwrap();
    let saved = Settings::load(&file).unwrap().unwrap();
    assert_eq!(
        saved.vpn.port_forwarding_provider,
        Some(tvpn_core::settings::PortForwardProvider::Protonvpn)
    );
}

#[test]
fn lan_access_publishes_on_this_machines_lan_address_never_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    let store = MemoryStore::default();
    let mut f = form();
    f.lan_access = true;
    let result = settings_form::save(
        &file,
        &store,
        &f,
        secrets(json!({"wireguard_private_key": PRIVATE_KEY})),
    );
    match tvpn_core::settings::exposure::lan_address_of_this_host() {
        Some(address) => {
            result.unwrap();
            let saved = Settings::load(&file).unwrap().unwrap();
            assert_eq!(saved.stack.bind_address, address);
            assert!(!saved.stack.bind_address.is_unspecified());
        }
        None => {
            // No private address here (this machine is on no LAN): said,
            // and nothing saved.
            let e = result.unwrap_err();
            assert_eq!(fields(&e), ["stack.bind_address"]);
            assert!(!file.exists());
        }
    }
}

/// The settings the form shows, each with an error slot in the window.
const SHOWN: [Field; 12] = [
    Field::VpnProvider,
    Field::VpnType,
    Field::VpnServerCountries,
    Field::VpnPortForwarding,
    Field::VpnPortForwardingProvider,
    Field::WireguardEndpoint,
    Field::WireguardPublicKey,
    Field::WireguardAddresses,
    Field::StackDownloadsDir,
    Field::StackBindAddress,
    Field::StackLanSubnets,
    Field::BackupDaily,
];

/// The `data-error-for` slots of the window, as written in `ui/index.html`.
fn error_slots() -> Vec<String> {
    let html = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/index.html");
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(
        html.contains(r#"id="other-errors""#),
        "no list for the other errors"
    );
    html.split(r#"data-error-for=""#)
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

/// Every error slot of the window names a field, and every field the form
/// can report has one: the settings it shows and the secrets it takes (the
/// Web UI password included). Settings the form does not show (ports,
/// images, the profile…) are kept from the file as they are; only a
/// hand-edited file can make them wrong, and the window lists those errors
/// under the form (`#other-errors`) with their path, so they have no slot.
#[test]
fn every_error_slot_of_the_window_is_a_field_and_every_field_the_form_reports_has_one() {
    let slots: Vec<Field> = error_slots()
        .iter()
        .map(|name| {
            name.parse::<Field>()
                .unwrap_or_else(|e| panic!("ui/index.html: data-error-for: {e}"))
        })
        .collect();
    let mut reportable: Vec<Field> = SHOWN.to_vec();
    reportable.extend(settings_form::USER_SECRETS.map(Field::Secret));
    reportable.push(Field::Secret(SecretKind::QbittorrentPassword));
    for field in &reportable {
        assert!(slots.contains(field), "{field} has no data-error-for slot");
    }

    // Each input of the form, wrong: every error lands in a slot.
    type Spoil = fn(&mut SettingsForm);
    let bad: Vec<(&str, Spoil)> = vec![
        ("provider", |f| f.provider = "nope".into()),
        ("vpn type", |f| f.vpn_type = "ipsec".into()),
        ("countries", |f| f.server_countries = "Nether1ands".into()),
        ("forwarding", |f| f.port_forwarding = true),
        ("forwarder", |f| f.port_forwarding_provider = "nope".into()),
        ("endpoint", |f| f.endpoint = "vpn.example.com:51820".into()),
        ("public key", |f| f.public_key = "short".into()),
        ("no addresses", |f| f.addresses = String::new()),
        ("addresses", |f| f.addresses = "10.64.0.2/99".into()),
        ("downloads", |f| f.downloads_dir = "Torrents".into()),
        ("lan subnets", |f| f.lan_subnets = "8.8.8.0/24".into()),
        ("lan subnet text", |f| f.lan_subnets = "lan".into()),
        ("openvpn", |f| f.vpn_type = "openvpn".into()),
    ];
    for (what, spoil) in bad {
        let mut f = form();
        spoil(&mut f);
        let (_, errors) = settings_form::settings_from_form(Settings::new_custom_wireguard(), &f);
        assert!(!errors.is_empty(), "{what}: accepted");
        for e in errors {
            let field = e.field.field();
            assert!(
                field.is_some_and(|f| slots.contains(&f)),
                "{what}: {} has no slot ({})",
                e.field,
                e.message
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let err = settings_form::save(
        &dir.path().join("settings.toml"),
        &MemoryStore::default(),
        &form(),
        secrets(json!({"wireguard_preshared_key": "short", "openvpn_user": "a\nb"})),
    )
    .unwrap_err();
    for e in &err.fields {
        assert!(
            e.field.field().is_some_and(|f| slots.contains(&f)),
            "{} has no slot",
            e.field
        );
    }
}
