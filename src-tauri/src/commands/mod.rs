//! Typed commands for the settings window (`ui/`).
//!
//! Each command is a thin wrapper: it opens the keychain, runs one of the
//! pure functions of [`settings_form`], [`import`] or [`demo`] on the
//! blocking pool, and returns serde types. Errors are a [`CommandError`]
//! (a message plus the fields it concerns), never an `anyhow` chain.
//!
//! Secrets are write-only: they arrive as plain strings, are wrapped into
//! `SecretString` while deserializing, and no command returns one; the
//! window only learns whether each kind is stored.

pub mod demo;
pub mod import;
pub mod settings_form;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use serde::Serialize;
use tauri::State;
use tvpn_core::paths::AppPaths;
use tvpn_core::secrets::{KeyringStore, SecretStore};
use tvpn_core::settings::{Field, FieldError};
use tvpn_core::status::StatusReport;

pub use import::ImportPlanView;
pub use settings_form::{SecretsInput, SettingsForm, SettingsView};

use crate::AppState;

/// What a command reports when it fails. `fields` names each invalid field
/// by its settings path (`vpn.wireguard.public_key`) or, for secrets,
/// `secrets.<kind>` (`secrets.wireguard-private-key`); `details` lists
/// further lines (import problems). Never holds a secret value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandError {
    pub message: String,
    pub fields: Vec<FieldError>,
    pub details: Vec<String>,
}

impl CommandError {
    pub fn msg(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            fields: Vec::new(),
            details: Vec::new(),
        }
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

type CommandResult<T> = Result<T, CommandError>;

/// The keychain the app uses. Opening it is cheap; an error is shown to the
/// user, never replaced by another store.
fn open_store() -> CommandResult<Arc<dyn SecretStore>> {
    KeyringStore::open()
        .map(|s| Arc::new(s) as Arc<dyn SecretStore>)
        .map_err(|e| CommandError::msg(format!("the keychain cannot be opened: {e}")))
}

/// Runs `f` on the blocking pool (keychain calls and file I/O block).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| CommandError::msg(format!("the task failed: {e}")))?
}

fn paths(state: &State<'_, AppState>) -> AppPaths {
    state.paths.clone()
}

/// The current status report, as `tvpn status --json` prints it.
#[tauri::command]
pub async fn get_status(state: State<'_, AppState>) -> Result<StatusReport, String> {
    let (report, _) = tvpn_core::status::collect(&state.paths).await;
    Ok(report)
}

/// The settings to show: the saved ones, or defaults for onboarding, with
/// which secrets are stored (never their values).
#[tauri::command]
pub async fn load_settings(state: State<'_, AppState>) -> CommandResult<SettingsView> {
    let paths = paths(&state);
    blocking(move || {
        let store = open_store();
        Ok(settings_form::load_view(
            &paths,
            store.as_deref().map_err(Clone::clone),
            &demo::DemoSource::from_env(),
        ))
    })
    .await
}

/// Validates the form and the secrets together; saves nothing unless all
/// of them are valid, then stores the secrets and writes the settings.
#[tauri::command]
pub async fn save_settings(
    state: State<'_, AppState>,
    form: SettingsForm,
    secrets: SecretsInput,
) -> CommandResult<SettingsView> {
    let paths = paths(&state);
    blocking(move || {
        let store = open_store()?;
        settings_form::save(&paths.settings_file(), store.as_ref(), &form, secrets)?;
        tracing::info!(file = %paths.settings_file().display(), "settings saved from the settings window");
        Ok(settings_form::load_view(
            &paths,
            Ok(store.as_ref()),
            &demo::DemoSource::from_env(),
        ))
    })
    .await
}

/// The plan for importing a `.env` or wg-quick file, given by its path
/// (dropped or typed) or, for a wg-quick file only, by its text. Changes
/// nothing.
#[tauri::command]
pub async fn plan_import(
    state: State<'_, AppState>,
    path: Option<String>,
    text: Option<import::SecretText>,
) -> CommandResult<ImportPlanView> {
    let paths = paths(&state);
    blocking(move || {
        let source = import::Source::new(path, text)?;
        import::plan_view(&paths.settings_file(), &source)
    })
    .await
}

/// Carries out the plan the user saw (`token` says which): secrets to the
/// keychain, the settings file, and the `.env` file's secret lines replaced.
#[tauri::command]
pub async fn apply_import(
    state: State<'_, AppState>,
    path: Option<String>,
    text: Option<import::SecretText>,
    token: String,
) -> CommandResult<SettingsView> {
    let paths = paths(&state);
    blocking(move || {
        let source = import::Source::new(path, text)?;
        let store = open_store()?;
        let done = import::apply(&paths.settings_file(), &source, &token, store)?;
        tracing::info!(
            secrets = done.secrets_stored,
            file_rewritten = done.file_rewritten,
            "import applied from the settings window"
        );
        let store = open_store();
        Ok(settings_form::load_view(
            &paths,
            store.as_deref().map_err(Clone::clone),
            &demo::DemoSource::from_env(),
        ))
    })
    .await
}

/// Adopts the lab's demo profile (starting the lab first when the app was
/// started with `TVPN_DEMO=1` and the lab has not written it yet).
#[tauri::command]
pub async fn try_demo(state: State<'_, AppState>) -> CommandResult<SettingsView> {
    let paths = paths(&state);
    let source = demo::DemoSource::from_env();
    if !source.settings_file.exists() && source.may_start_lab() {
        demo::start_lab(&source).await?;
    }
    blocking(move || {
        let store = open_store()?;
        demo::adopt(&source, &paths.settings_file(), store.as_ref())?;
        tracing::info!("demo profile adopted");
        Ok(settings_form::load_view(
            &paths,
            Ok(store.as_ref()),
            &source,
        ))
    })
    .await
}

/// "Copy Web UI password": the Keychain's password on the clipboard for a
/// minute. The password never reaches the window; the answer names the
/// user to log in as.
#[tauri::command]
pub async fn copy_webui_password(state: State<'_, AppState>) -> CommandResult<String> {
    let paths = paths(&state);
    let (settings, password) = blocking(move || {
        let settings = tvpn_core::Settings::load(&paths.settings_file())
            .map_err(|e| CommandError::msg(e.to_string()))?
            .ok_or_else(|| CommandError::msg("Torrent VPN is not set up yet"))?;
        let store = open_store()?;
        let password = store
            .get(
                &settings.profile,
                tvpn_core::secrets::SecretKind::QbittorrentPassword,
            )
            .map_err(|e| CommandError::msg(e.to_string()))?;
        Ok((settings, password))
    })
    .await?;
    let Some(password) = password else {
        return Err(CommandError::msg(
            "no Web UI password yet: it is made at the first Connect",
        ));
    };
    crate::clipboard::copy_for_a_minute(password).map_err(CommandError::msg)?;
    Ok(format!(
        "Copied the password of {} — paste it on the Web UI's login page; the clipboard is \
         cleared in 60 s.",
        settings.qbittorrent.username
    ))
}

/// A Web UI password the user chooses: checked, stored in the Keychain and
/// applied to a running qBittorrent (read back by logging in with it), or
/// at the next connect. Errors name `secrets.qbittorrent-password`.
#[tauri::command]
pub async fn set_webui_password(
    state: State<'_, AppState>,
    password: String,
) -> CommandResult<String> {
    let paths = paths(&state);
    let password = tvpn_core::secrets::SecretString::from(password);
    let field = |message: String| CommandError {
        message: message.clone(),
        fields: vec![FieldError::new(
            Field::Secret(tvpn_core::secrets::SecretKind::QbittorrentPassword),
            message,
        )],
        details: Vec::new(),
    };
    tvpn_core::stack::webui::check_password(&password).map_err(field)?;
    let manager = tvpn_core::stack::StackManager::open(&paths)
        .await
        .map_err(|e| CommandError::msg(e.to_string()))?;
    match manager.set_webui_password(password).await {
        Ok(tvpn_core::stack::webui::PasswordChange::Applied) => {
            Ok("The Web UI password is changed.".to_owned())
        }
        Ok(tvpn_core::stack::webui::PasswordChange::Stored) => Ok(
            "The Web UI password is stored; qBittorrent gets it at the next Connect.".to_owned(),
        ),
        Err(e) => Err(field(e.to_string())),
    }
}
