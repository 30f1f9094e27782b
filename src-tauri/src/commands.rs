//! Typed commands for the settings window (`ui/`). Secrets never travel
//! to the webview: commands accept them, none returns one.

use tauri::State;
use tvpn_core::status::StatusReport;

use crate::AppState;

/// The current status report, as `tvpn status --json` prints it.
#[tauri::command]
pub async fn get_status(state: State<'_, AppState>) -> Result<StatusReport, String> {
    let (report, _) = tvpn_core::status::collect(&state.paths).await;
    Ok(report)
}
