//! A throwaway profile of the lab's demo settings for one test: its own
//! config dir, profile, project name, ports and downloads folder, with the
//! lab's WireGuard keys in the (real) keychain. Dropping it disconnects,
//! removes its volumes and deletes its keychain items.
//!
//! Needs `scripts/lab up` and a Secret Service (scripts/test provides
//! both); fails, never skips, without them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::docker::{docker, free_ports, is_running, run_with_stdin};
use crate::lab::{workspace_root, VPN_SERVER};

/// The `tvpn` binary cargo built for the tests of `tvpn-cli`:
/// `CARGO_BIN_EXE_tvpn` when cargo runs them, else `tvpn` next to the test
/// executable's `deps/` directory.
pub fn tvpn_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("CARGO_BIN_EXE_tvpn") {
        return path.into();
    }
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .and_then(Path::parent)
        .expect("the test executable is in target/<profile>/deps")
        .join(format!("tvpn{}", std::env::consts::EXE_SUFFIX))
}

pub struct Profile {
    pub dir: tempfile::TempDir,
    pub downloads: tempfile::TempDir,
    pub name: String,
    pub project: String,
    pub webui_port: u16,
    pub control_port: u16,
    pub client_key: String,
    pub psk: String,
}

impl Profile {
    /// A copy of the demo profile named after `tag`, its WireGuard keys in
    /// the keychain.
    pub async fn new(tag: &str) -> Self {
        let profile = Self::without_secrets(tag).await;
        profile.set_secret("wireguard-private-key", &profile.client_key.clone());
        profile.set_secret("wireguard-preshared-key", &profile.psk.clone());
        profile
    }

    /// The same, with nothing in the keychain yet.
    pub async fn without_secrets(tag: &str) -> Self {
        let state = workspace_root().join("lab/.state");
        let demo = std::fs::read_to_string(state.join("demo-config/settings.toml"))
            .expect("lab/.state/demo-config/settings.toml: run `scripts/lab up`");
        let vpn_up = is_running(&docker().await, VPN_SERVER).await;
        assert!(vpn_up, "the lab is not up: run `scripts/lab up`");
        let read = |p: &str| {
            std::fs::read_to_string(state.join(p))
                .unwrap()
                .trim()
                .to_owned()
        };
        let suffix = format!("{}-{}", std::process::id(), tag);
        let ports = free_ports::<2>();
        let profile = Self {
            dir: tempfile::tempdir().unwrap(),
            downloads: tempfile::tempdir().unwrap(),
            name: format!("test-{suffix}"),
            project: format!("tvpn-t{suffix}"),
            webui_port: ports[0],
            control_port: ports[1],
            client_key: read("keys/client.key"),
            psk: read("keys/psk"),
        };
        // qBittorrent runs as PUID, not as the test's user.
        std::fs::set_permissions(
            profile.downloads.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        )
        .unwrap();
        let mut settings: toml::Value = toml::from_str(&demo).unwrap();
        settings["profile"] = profile.name.clone().into();
        let stack = &mut settings["stack"];
        stack["project"] = profile.project.clone().into();
        stack["webui_port"] = i64::from(profile.webui_port).into();
        stack["control_port"] = i64::from(profile.control_port).into();
        stack["downloads_dir"] = profile.downloads.path().display().to_string().into();
        profile.write_settings(&settings);
        profile
    }

    pub fn settings_path(&self) -> PathBuf {
        self.dir.path().join("settings.toml")
    }

    pub fn settings(&self) -> toml::Value {
        toml::from_str(&std::fs::read_to_string(self.settings_path()).unwrap()).unwrap()
    }

    pub fn write_settings(&self, settings: &toml::Value) {
        std::fs::write(self.settings_path(), toml::to_string(settings).unwrap()).unwrap();
    }

    pub fn edit_settings(&self, edit: impl FnOnce(&mut toml::Value)) {
        let mut s = self.settings();
        edit(&mut s);
        self.write_settings(&s);
    }

    pub fn gateway_name(&self) -> String {
        format!("{}-gateway", self.project)
    }

    pub fn qbittorrent_name(&self) -> String {
        format!("{}-qbittorrent", self.project)
    }

    /// `tvpn --config-dir DIR ARGS`, not started.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(tvpn_bin());
        c.arg("--config-dir").arg(self.dir.path()).args(args);
        c.env_remove("TVPN_CONFIG_DIR");
        c
    }

    /// Run `tvpn ARGS`; the output is echoed for the test log.
    pub fn tvpn(&self, args: &[&str]) -> Output {
        self.tvpn_env(args, &[])
    }

    /// The same, with extra environment variables.
    pub fn tvpn_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = self.command(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        eprintln!(
            "$ tvpn {} -> {:?}\n{}{}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `tvpn secrets set KIND`, the value on stdin.
    pub fn set_secret(&self, kind: &str, value: &str) {
        assert!(
            run_with_stdin(self.command(&["secrets", "set", kind]), value.as_bytes()),
            "storing {kind} in the keychain failed (is a Secret Service running?)"
        );
    }

    /// `tvpn connect --json`, returning the result object.
    pub fn connect(&self) -> serde_json::Value {
        let out = self.tvpn(&["connect", "--json"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let last = stdout.lines().last().unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(last)
            .unwrap_or_else(|e| panic!("connect printed no JSON result ({e}): {stdout}"));
        assert!(
            out.status.success() && v["event"] == "connected",
            "connect failed: {v}"
        );
        v["result"].clone()
    }

    pub fn disconnect(&self) {
        let out = self.tvpn(&["disconnect"]);
        assert!(out.status.success(), "disconnect failed");
    }

    /// The keychain's value of a secret, through the core (same session).
    pub async fn secret(&self, kind: tvpn_core::secrets::SecretKind) -> Option<String> {
        use secrecy::ExposeSecret;
        let store = tvpn_core::secrets::KeyringStore::open().unwrap();
        let secrets = tvpn_core::secrets::Secrets::new(std::sync::Arc::new(store), &self.name);
        secrets
            .get(kind)
            .await
            .unwrap()
            .map(|s| s.expose_secret().to_owned())
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = self.command(&["disconnect"]).output();
        for kind in [
            "wireguard-private-key",
            "wireguard-preshared-key",
            "qbittorrent-password",
            "control-api-key",
        ] {
            let _ = self.command(&["secrets", "delete", kind]).output();
        }
        let _ = Command::new("docker")
            .args(["volume", "rm", "-f"])
            .arg(format!("{}_gluetun", self.project))
            .arg(format!("{}_qbittorrent-config", self.project))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
