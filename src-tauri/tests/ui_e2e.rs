//! WebDriver tests of the settings window: the real app under Xvfb, driven
//! through tauri-driver and WebKitWebDriver, with a real Secret Service.
//!
//! Run by `scripts/lib/ui-e2e.sh`, which installs the pieces and starts
//! Xvfb, a private D-Bus session and a fresh gnome-keyring. Each test uses a
//! config dir of its own (`TVPN_CONFIG_DIR`) and opens the window with
//! `TVPN_OPEN_SETTINGS=1`. Anything missing (the driver, a display, the
//! keyring) is a failure, never a skip. Run one at a time
//! (`--test-threads=1`): the app is single-instance.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tvpn_core::secrets::{ExposeSecret, KeyringStore, SecretKind, SecretStore};
use tvpn_core::settings::Settings;

const APP: &str = env!("CARGO_BIN_EXE_torrent-vpn");
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const PROFILE: &str = "default";
const PRIVATE_KEY: &str = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
const PUBLIC_KEY: &str = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
const WAIT: Duration = Duration::from_secs(20);

/// A program on PATH (or in ~/.cargo/bin), or the path an env var names.
fn tool(name: &str, env: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".cargo/bin"));
    }
    dirs.push(PathBuf::from("/usr/bin"));
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{name} is not installed (set {env}); scripts/lib/ui-e2e.sh installs it")
        })
}

fn keyring() -> KeyringStore {
    KeyringStore::open().expect("no Secret Service: run under scripts/lib/ui-e2e.sh")
}

fn forget_profile(store: &KeyringStore) {
    for kind in SecretKind::ALL {
        store.delete(PROFILE, kind).unwrap();
    }
}

fn nothing_stored(store: &KeyringStore) -> bool {
    SecretKind::ALL
        .into_iter()
        .all(|k| store.get(PROFILE, k).unwrap().is_none())
}

fn log_dir() -> PathBuf {
    let dir = std::env::var_os("TVPN_UI_E2E_LOGS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("tvpn-ui-e2e"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// PIDs of running app processes.
fn app_pids() -> Vec<u32> {
    let app = std::fs::canonicalize(APP).unwrap();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe"))
                .map(|exe| exe == app)
                .unwrap_or(false)
        })
        .collect()
}

impl Drop for Driver {
    fn drop(&mut self) {
        // After a failure: the driver goes, and the app with its session.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// tauri-driver with one session on the app.
struct Driver {
    child: Child,
    http: reqwest::Client,
    base: String,
    session: String,
    log: PathBuf,
}

impl Driver {
    async fn launch(name: &str, config_dir: &Path, port: u16) -> Self {
        Self::launch_with(name, config_dir, port, &[("TVPN_DEMO", "0")]).await
    }

    async fn launch_with(name: &str, config_dir: &Path, port: u16, env: &[(&str, &str)]) -> Self {
        let gone = Instant::now();
        while !app_pids().is_empty() {
            assert!(
                gone.elapsed() < WAIT,
                "an app from an earlier test is still running"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let log = log_dir().join(format!("{name}.log"));
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = Command::new(tool("tauri-driver", "TAURI_DRIVER"))
            .args(["--port", &port.to_string()])
            .args(["--native-port", &(port + 1).to_string()])
            .arg("--native-driver")
            .arg(tool("WebKitWebDriver", "WEBKIT_WEBDRIVER"))
            .env("TVPN_CONFIG_DIR", config_dir)
            .env("TVPN_OPEN_SETTINGS", "1")
            .env_remove("TVPN_DEMO")
            .env_remove("TVPN_LAB_STATE")
            .envs(env.iter().copied())
            .env("RUST_LOG", "info")
            .env("NO_AT_BRIDGE", "1")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("tauri-driver does not start");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(
                start.elapsed() < WAIT,
                "tauri-driver did not answer; see {}",
                log.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "wry",
            "tauri:options": {"application": APP},
        }}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {r}; see {}", log.display()))
            .to_owned();
        let d = Self {
            child,
            http,
            base,
            session,
            log,
        };
        d.wait_js(
            "return document.body.dataset.ready === '1'",
            "the window to load",
        )
        .await;
        d
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, &url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r: Value = req.send().await.unwrap().json().await.unwrap();
        if r["value"].get("error").is_some() {
            panic!("{path}: {}; see {}", r["value"], self.log.display());
        }
        r["value"].clone()
    }

    async fn js(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    async fn wait_js(&self, script: &str, what: &str) -> Value {
        let start = Instant::now();
        loop {
            let v = self.js(script).await;
            if v != Value::Bool(false) && !v.is_null() {
                return v;
            }
            assert!(
                start.elapsed() < WAIT,
                "timed out waiting for {what}; banner: {}; see {}",
                self.js("return document.getElementById('banner').textContent")
                    .await,
                self.log.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("{css}: no element in {v}; see {}", self.log.display()))
            .to_owned()
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Replaces the field's text by typing `text`.
    async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/clear"),
            Some(json!({})),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.call(reqwest::Method::GET, &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn value(&self, id: &str) -> Value {
        self.js(&format!(
            "const e = document.getElementById('{id}'); \
             return e.type === 'checkbox' || e.type === 'radio' ? e.checked : e.value"
        ))
        .await
    }

    /// Waits until the element's text contains `needle`, and returns it.
    async fn wait_text(&self, css: &str, needle: &str) -> String {
        let script = format!(
            "const e = document.querySelector({css:?}); \
             return e && e.offsetParent !== null && e.textContent.includes({needle:?}) \
             ? e.textContent : false"
        );
        self.wait_js(&script, &format!("{css} to show {needle:?}"))
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Saves a PNG of the window next to the logs.
    async fn screenshot(&self, name: &str) {
        use base64::Engine as _;
        let png = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(log_dir().join(format!("{name}.png")), bytes).unwrap();
    }

    /// Ends the session (the app quits) and the driver.
    async fn quit(self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = self.http.delete(&url).send().await;
        drop(self);
        let start = Instant::now();
        while !app_pids().is_empty() && start.elapsed() < WAIT {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Onboarding by hand: the WireGuard fields and a private key.
    async fn fill_wireguard(&self, private_key: &str) {
        self.click("#choose-manual").await;
        self.wait_js(
            "return !document.getElementById('settings-form').hidden",
            "the form",
        )
        .await;
        self.click("#type-wireguard").await;
        self.type_into("#wg-private-key", private_key).await;
        self.type_into("#endpoint", "203.0.113.5:51820").await;
        self.type_into("#public-key", PUBLIC_KEY).await;
        self.type_into("#addresses", "10.64.0.2/32").await;
    }

    /// True when no input or text of the page holds `secret`.
    async fn page_hides(&self, secret: &str) -> bool {
        self.js(&format!(
            "const s = {secret:?}; \
             return !document.documentElement.outerHTML.includes(s) && \
             ![...document.querySelectorAll('input, textarea')].some(i => i.value.includes(s))"
        ))
        .await
            == Value::Bool(true)
    }
}

#[tokio::test]
async fn t1_onboarding_with_an_invalid_key_shows_the_field_error_and_saves_nothing() {
    let store = keyring();
    forget_profile(&store);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    let d = Driver::launch("t1", dir.path(), 4600).await;
    assert_eq!(
        d.js("return document.body.dataset.mode").await,
        "onboarding"
    );
    d.screenshot("t1-onboarding").await;
    // The capability lets the window hear files dropped on it, and no more.
    assert_eq!(
        d.js(
            "return window.__TAURI__.event.listen('tauri://drag-drop', () => {}) \
              .then(() => true, (e) => String(e))"
        )
        .await,
        true
    );
    let emit = d
        .js("return window.__TAURI__.event.emit('tvpn-probe', {}) \
             .then(() => 'allowed', (e) => String(e))")
        .await;
    assert!(
        emit.as_str().is_some_and(|e| e.contains("not allowed")),
        "emit: {emit}"
    );

    d.fill_wireguard("not-a-wireguard-key").await;
    d.click("#save").await;
    let error = d
        .wait_text(
            "[data-error-for='secrets.wireguard-private-key']",
            "not a WireGuard key",
        )
        .await;
    assert!(error.contains("44 characters"), "{error}");
    assert_eq!(
        d.js("return document.getElementById('wg-private-key').getAttribute('aria-invalid')")
            .await,
        "true"
    );
    assert!(d.text("#banner").await.contains("nothing was saved"));
    d.screenshot("t1-field-error").await;
    // The other fields were valid: no error next to them.
    assert_eq!(
        d.text("[data-error-for='vpn.wireguard.endpoint']").await,
        ""
    );
    d.quit().await;

    assert!(!file.exists(), "a settings file was written");
    assert!(
        nothing_stored(&store),
        "the keyring has an item for {PROFILE}"
    );
}

#[tokio::test]
async fn t2_a_valid_key_is_saved_to_the_secret_service_and_the_settings_file() {
    let store = keyring();
    forget_profile(&store);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    let d = Driver::launch("t2", dir.path(), 4610).await;

    d.fill_wireguard(PRIVATE_KEY).await;
    d.type_into("#downloads-dir", "/srv/e2e/Torrents").await;
    d.click("#save").await;
    d.wait_text("#banner", "Saved").await;
    d.wait_text("#secret-wireguard-private-key", "stored").await;
    assert_eq!(d.text("#secret-wireguard-private-key").await, "stored");
    assert_eq!(d.js("return document.body.dataset.mode").await, "settings");
    assert!(d.page_hides(PRIVATE_KEY).await, "the key is in the page");
    d.quit().await;

    let saved = Settings::load(&file).unwrap().expect("no settings file");
    assert_eq!(
        saved.vpn.wireguard.endpoint,
        Some("203.0.113.5:51820".parse().unwrap())
    );
    assert_eq!(saved.vpn.wireguard.public_key.as_deref(), Some(PUBLIC_KEY));
    assert_eq!(saved.stack.downloads_dir, Path::new("/srv/e2e/Torrents"));
    assert!(!std::fs::read_to_string(&file)
        .unwrap()
        .contains(PRIVATE_KEY));
    let key = store
        .get(PROFILE, SecretKind::WireguardPrivateKey)
        .unwrap()
        .expect("the key is not in the Secret Service");
    assert_eq!(key.expose_secret(), PRIVATE_KEY);
}

#[tokio::test]
async fn t3_the_env_import_shows_its_plan_and_then_scrubs_the_file() {
    let store = keyring();
    forget_profile(&store);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let file = config.join("settings.toml");
    let env = dir.path().join("compose/.env");
    std::fs::create_dir_all(env.parent().unwrap()).unwrap();
    let original = format!(
        "# qBittorrent behind gluetun\nVPN_SERVICE_PROVIDER=custom\nVPN_TYPE=wireguard\n\
         WIREGUARD_PRIVATE_KEY={PRIVATE_KEY}\nWIREGUARD_ADDRESSES=10.64.0.2/32\n\
         WIREGUARD_PUBLIC_KEY={PUBLIC_KEY}\nWIREGUARD_ENDPOINT_IP=203.0.113.5\n\
         WIREGUARD_ENDPOINT_PORT=51820\nTZ=Europe/Berlin\nCOMPOSE_PROJECT_NAME=media\n"
    );
    std::fs::write(&env, &original).unwrap();

    let d = Driver::launch("t3", &config, 4620).await;
    d.click("#choose-import").await;
    d.type_into("#import-path", env.to_str().unwrap()).await;
    d.click("#import-plan-btn").await;
    let scrub = d
        .wait_text("#import-scrubbed", "WIREGUARD_PRIVATE_KEY")
        .await;
    assert!(scrub.contains("line 4"), "{scrub}");
    assert!(scrub.contains("moved to"), "{scrub}");
    let outcome = d.text("#import-file-outcome").await;
    assert!(outcome.contains("replaced by a comment"), "{outcome}");
    let secrets = d.text("#import-secrets").await;
    assert!(secrets.contains("WireGuard private key"), "{secrets}");
    let changes = d.text("#import-changes").await;
    assert!(changes.contains("vpn.wireguard.endpoint"), "{changes}");
    assert!(changes.contains("stack.timezone"), "{changes}");
    assert!(d.page_hides(PRIVATE_KEY).await, "the plan shows the key");
    d.screenshot("t3-plan").await;
    // Showing the plan changes nothing.
    assert_eq!(std::fs::read_to_string(&env).unwrap(), original);
    assert!(!file.exists());
    assert!(nothing_stored(&store));

    d.click("#import-apply").await;
    d.wait_text("#banner", "Imported").await;
    assert_eq!(d.js("return document.body.dataset.mode").await, "settings");
    assert_eq!(d.value("endpoint").await, "203.0.113.5:51820");
    assert_eq!(d.text("#secret-wireguard-private-key").await, "stored");
    d.quit().await;

    let scrubbed = std::fs::read_to_string(&env).unwrap();
    assert!(!scrubbed.contains(PRIVATE_KEY), "{scrubbed}");
    assert!(
        scrubbed.contains("# WIREGUARD_PRIVATE_KEY: moved to"),
        "{scrubbed}"
    );
    let kept: Vec<&str> = original
        .lines()
        .filter(|l| !l.starts_with("WIREGUARD_PRIVATE_KEY"))
        .collect();
    let now: Vec<&str> = scrubbed
        .lines()
        .filter(|l| !l.starts_with("# WIREGUARD_PRIVATE_KEY"))
        .collect();
    assert_eq!(now, kept, "other lines changed");
    let saved = Settings::load(&file).unwrap().expect("no settings file");
    assert_eq!(saved.stack.timezone, "Europe/Berlin");
    assert_eq!(
        store
            .get(PROFILE, SecretKind::WireguardPrivateKey)
            .unwrap()
            .expect("the key is not in the Secret Service")
            .expose_secret(),
        PRIVATE_KEY
    );
}

#[tokio::test]
async fn t4_the_settings_round_trip_survives_a_restart() {
    let store = keyring();
    forget_profile(&store);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");

    let d = Driver::launch("t4-first", dir.path(), 4630).await;
    d.fill_wireguard(PRIVATE_KEY).await;
    // Countries need a provider with a server list: gluetun has none for a
    // custom server (serverselection.go).
    d.js(
        "const p = document.getElementById('provider'); p.value = 'mullvad'; \
          p.dispatchEvent(new Event('change')); return p.value",
    )
    .await;
    d.type_into("#server-countries", "Sweden, Netherlands")
        .await;
    d.type_into("#downloads-dir", "/srv/e2e/Downloads").await;
    d.type_into("#lan-subnets", "192.168.1.0/24").await;
    d.click("#save").await;
    d.wait_text("#banner", "Saved").await;
    d.quit().await;
    let first = Settings::load(&file).unwrap().expect("no settings file");

    let d = Driver::launch("t4-second", dir.path(), 4640).await;
    assert_eq!(d.js("return document.body.dataset.mode").await, "settings");
    assert_eq!(d.value("endpoint").await, "203.0.113.5:51820");
    assert_eq!(d.value("public-key").await, PUBLIC_KEY);
    assert_eq!(d.value("addresses").await, "10.64.0.2/32");
    assert_eq!(d.value("server-countries").await, "Sweden, Netherlands");
    assert_eq!(d.value("provider").await, "mullvad");
    assert_eq!(d.value("downloads-dir").await, "/srv/e2e/Downloads");
    assert_eq!(d.value("lan-on").await, false);
    assert_eq!(d.value("lan-subnets").await, "192.168.1.0/24");
    assert_eq!(d.value("type-wireguard").await, true);
    assert_eq!(d.text("#secret-wireguard-private-key").await, "stored");
    assert_eq!(d.value("wg-private-key").await, "");
    assert!(
        d.page_hides(PRIVATE_KEY).await,
        "the key came back to the page"
    );
    d.screenshot("t4-after-restart").await;

    // Edit and save again without retyping the stored key.
    d.type_into("#downloads-dir", "/srv/e2e/Elsewhere").await;
    d.click("#save").await;
    d.wait_text("#banner", "Saved").await;
    d.quit().await;

    let second = Settings::load(&file).unwrap().expect("no settings file");
    assert_eq!(second.stack.downloads_dir, Path::new("/srv/e2e/Elsewhere"));
    assert_eq!(second.stack.bind_address.to_string(), "127.0.0.1");
    assert_eq!(first.stack.bind_address.to_string(), "127.0.0.1");
    assert_eq!(second.vpn, first.vpn);
    assert_eq!(second.stack.lan_subnets, first.stack.lan_subnets);
    assert_eq!(
        store
            .get(PROFILE, SecretKind::WireguardPrivateKey)
            .unwrap()
            .expect("the key is gone")
            .expose_secret(),
        PRIVATE_KEY
    );
}

#[tokio::test]
async fn t5_a_picked_wg_quick_file_is_planned_and_imported() {
    let store = keyring();
    forget_profile(&store);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let file = config.join("settings.toml");
    let conf = dir.path().join("wg0.conf");
    let text = format!(
        "[Interface]\nPrivateKey = {PRIVATE_KEY}\nAddress = 10.64.0.9/32\nDNS = 10.64.0.1\n\n\
         [Peer]\nPublicKey = {PUBLIC_KEY}\nEndpoint = 198.51.100.7:51820\nAllowedIPs = 0.0.0.0/0\n"
    );
    std::fs::write(&conf, &text).unwrap();

    let d = Driver::launch("t5", &config, 4650).await;
    d.click("#choose-import").await;
    // Choosing a file in the picker: WebDriver types its path into the input.
    let input = d.find("#import-file").await;
    d.call(
        reqwest::Method::POST,
        &format!("/element/{input}/value"),
        Some(json!({"text": conf.to_str().unwrap()})),
    )
    .await;
    let outcome = d.wait_text("#import-file-outcome", "stays as it is").await;
    assert!(outcome.contains("private key"), "{outcome}");
    assert!(d
        .text("#import-secrets")
        .await
        .contains("WireGuard private key"));
    assert!(d
        .text("#import-changes")
        .await
        .contains("198.51.100.7:51820"));
    assert!(!file.exists());
    d.click("#import-apply").await;
    d.wait_text("#banner", "Imported").await;
    assert_eq!(d.value("addresses").await, "10.64.0.9/32");
    assert!(d.page_hides(PRIVATE_KEY).await, "the key is in the page");
    d.quit().await;

    assert_eq!(
        std::fs::read_to_string(&conf).unwrap(),
        text,
        "the wg-quick file changed"
    );
    let saved = Settings::load(&file).unwrap().expect("no settings file");
    assert_eq!(
        saved.vpn.wireguard.endpoint,
        Some("198.51.100.7:51820".parse().unwrap())
    );
    assert_eq!(
        store
            .get(PROFILE, SecretKind::WireguardPrivateKey)
            .unwrap()
            .expect("the key is not in the Secret Service")
            .expose_secret(),
        PRIVATE_KEY
    );
}

#[tokio::test]
async fn t6_the_demo_is_offered_and_adopted_with_the_labs_keys() {
    use tvpn_core::settings::demo::{self, LabState};

    let store = keyring();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let file = config.join("settings.toml");
    // A lab state folder as `scripts/lab up` leaves it: its keys, and its
    // demo profile (written by `tvpn lab-demo`).
    let lab = LabState::new(dir.path().join("lab-state"));
    let keys = lab.dir().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    for (name, key) in [
        ("server.pub", PUBLIC_KEY),
        ("client.key", PRIVATE_KEY),
        ("psk", "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="),
    ] {
        std::fs::write(keys.join(name), format!("{key}\n")).unwrap();
    }
    demo::write(&lab, &lab.config_dir().join("settings.toml"), None).unwrap();
    let lab_profile = Settings::load(&lab.config_dir().join("settings.toml"))
        .unwrap()
        .unwrap();

    let d = Driver::launch_with(
        "t6",
        &config,
        4660,
        &[("TVPN_LAB_STATE", lab.dir().to_str().unwrap())],
    )
    .await;
    assert_eq!(
        d.js("return document.body.dataset.mode").await,
        "onboarding"
    );
    d.click("#choose-demo").await;
    d.wait_text("#banner", "demo is set up").await;
    assert_eq!(d.js("return document.body.dataset.mode").await, "settings");
    assert_eq!(d.value("endpoint").await, "10.222.0.3:51820");
    assert_eq!(d.text("#secret-wireguard-private-key").await, "stored");
    d.quit().await;

    assert_eq!(
        Settings::load(&file).unwrap().expect("no settings file"),
        lab_profile
    );
    assert_eq!(
        store
            .get(demo::PROFILE, SecretKind::WireguardPrivateKey)
            .unwrap()
            .expect("the key is not in the Secret Service")
            .expose_secret(),
        PRIVATE_KEY
    );
    for kind in SecretKind::ALL {
        store.delete(demo::PROFILE, kind).unwrap();
    }
}
