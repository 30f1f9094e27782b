//! Notifications: which of the core's events reach the user, and how.

use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt as _;
use tvpn_core::monitor::{Event, EventKind};

use crate::prefs::TrayPrefs;

/// The core throttles and de-duplicates (`notify`); the user may mute all
/// but leaks.
pub fn should_notify(event: &Event, prefs: &TrayPrefs) -> bool {
    event.notify && (!prefs.mute_all_but_leaks || event.kind == EventKind::LeakDetected)
}

pub fn event_title(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::LeakDetected => "Torrent VPN: LEAK",
        EventKind::KillSwitchEngaged => "Torrent VPN: VPN dropped",
        EventKind::ConnectFailed => "Torrent VPN: connect failed",
        _ => "Torrent VPN",
    }
}

pub fn notify(app: &AppHandle, title: &str, body: &str) {
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::warn!(error = %e, "notification failed");
    }
}

/// A verify ended: each check in the log (private values redacted); the
/// verdict as a notification when the user asked, or when a scheduled run
/// failed.
pub fn verified(app: &AppHandle, report: &tvpn_core::verify::Report, scheduled: bool) {
    for c in &report.checks {
        let name = c.name.as_ref();
        if c.ok {
            tracing::info!(check = name, "verify ok: {}", c.log_detail());
        } else {
            tracing::warn!(check = name, "verify FAILED: {}", c.log_detail());
        }
    }
    tracing::info!(
        protected = report.protected,
        scheduled,
        "{}",
        report.summary
    );
    if !scheduled || !report.protected {
        notify(app, "Torrent VPN: Verify Protection", &report.summary);
    }
}

/// "Export Diagnostics…": the redacted bundle written to `dir`, shown in
/// the file manager, and a notification with its name (or why not).
pub async fn export_diagnostics(
    app: &AppHandle,
    paths: &tvpn_core::paths::AppPaths,
    dir: &std::path::Path,
) {
    use tauri_plugin_opener::OpenerExt as _;
    use tvpn_core::diagnostics;
    let bundle = diagnostics::collect(paths, &|part| tracing::info!("diagnostics: {part}")).await;
    let path = dir.join(diagnostics::default_name());
    match diagnostics::write(&bundle, &path) {
        Ok(()) => {
            for note in &bundle.notes {
                tracing::warn!("diagnostics: {note}");
            }
            tracing::info!(path = %path.display(), "diagnostics written");
            if let Err(e) = app.opener().reveal_item_in_dir(&path) {
                tracing::warn!(error = %e, "cannot show the diagnostics in the file manager");
            }
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let body = match bundle.notes.first() {
                None => format!(
                    "Saved {name} in {} (secrets and your real IP redacted)",
                    dir.display()
                ),
                Some(note) => format!("Saved {name} in {}. Note: {note}", dir.display()),
            };
            notify(app, "Torrent VPN: Diagnostics", &body);
        }
        Err(e) => {
            tracing::warn!(error = %e, "diagnostics failed");
            notify(app, "Torrent VPN: Diagnostics failed", &e.to_string());
        }
    }
}

/// "Back Up Now" wrote `path`: shown in the file manager, with a word.
pub fn backed_up(app: &AppHandle, path: &std::path::Path) {
    use tauri_plugin_opener::OpenerExt as _;
    if let Err(e) = app.opener().reveal_item_in_dir(path) {
        tracing::warn!(error = %e, "cannot show the backup in the file manager");
    }
    notify(
        app,
        "Torrent VPN: Backup",
        &format!(
            "Saved {} (torrents, resume data and settings; no secret)",
            path.display()
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind, notify: bool) -> Event {
        Event {
            kind,
            at_ms: 1,
            message: "m".into(),
            notify,
        }
    }

    #[test]
    fn notifications_follow_the_core_and_the_mute() {
        let loud = TrayPrefs {
            speed_in_title: true,
            mute_all_but_leaks: false,
        };
        let muted = TrayPrefs {
            mute_all_but_leaks: true,
            ..loud
        };
        assert!(should_notify(
            &event(EventKind::KillSwitchEngaged, true),
            &loud
        ));
        assert!(!should_notify(
            &event(EventKind::KillSwitchEngaged, false),
            &loud
        ));
        assert!(!should_notify(
            &event(EventKind::KillSwitchEngaged, true),
            &muted
        ));
        assert!(!should_notify(
            &event(EventKind::ConnectFailed, true),
            &muted
        ));
        assert!(should_notify(&event(EventKind::LeakDetected, true), &muted));
        assert!(!should_notify(
            &event(EventKind::LeakDetected, false),
            &muted
        ));
    }
}
