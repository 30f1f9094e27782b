//! The user's intent for the stack, kept apart from what exists.
//!
//! `target.json` beside the settings file holds the profile's [`Target`]:
//! Connect sets `Connected`, Disconnect and Cancel set `Disconnected`. Every
//! change bumps a sequence number, so a connect can tell that the user
//! changed their mind meanwhile, in any process (the app, `tvpn`): it stops
//! at its next step and removes what it started, inside its own lock.
//! Reconcile, and so healing, follows the target: a stack whose target is
//! `Disconnected` is never started again behind the user's back.
//!
//! While a connect runs, its process and current step are recorded too, so
//! that another front-end (the tray during a `tvpn connect`) shows the step.
//! Every change reads and writes the file under `target.json.lock`, so a
//! step recorded from an older read never writes over a new target.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::progress::{now_ms, ConnectStep};

/// What the user last asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Connected,
    Disconnected,
}

/// A connect on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connecting {
    /// The process that runs it.
    pub pid: u32,
    pub step: ConnectStep,
}

/// The content of `target.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetRecord {
    pub profile: String,
    pub target: Target,
    /// Bumped by every change of `target`.
    pub seq: u64,
    pub at_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connecting: Option<Connecting>,
}

/// `target.json` of one profile.
#[derive(Debug, Clone)]
pub struct TargetFile {
    path: PathBuf,
    profile: String,
}

impl TargetFile {
    pub const NAME: &'static str = "target.json";

    pub fn new(config_dir: &Path, profile: &str) -> Self {
        Self {
            path: config_dir.join(Self::NAME),
            profile: profile.to_owned(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The profile's record; `None` when there is none yet, or it belongs to
    /// another profile.
    pub fn read(&self) -> Option<TargetRecord> {
        let bytes = std::fs::read(&self.path).ok()?;
        let record: TargetRecord = serde_json::from_slice(&bytes).ok()?;
        (record.profile == self.profile).then_some(record)
    }

    /// The connect on its way, in any process: recorded, and the profile's
    /// lock held (a process that died released it).
    pub fn live_connect(&self) -> Option<Connecting> {
        let connecting = self.read()?.connecting?;
        super::lock::is_held(&super::lock::path_for(&self.profile)).then_some(connecting)
    }

    /// The target, when one was set for this profile.
    pub fn target(&self) -> Option<Target> {
        self.read().map(|r| r.target)
    }

    /// Held around each read-and-write of the file, across processes: a
    /// connect's step recorded from an older read never writes over a
    /// target set meanwhile (a Disconnect would be lost).
    fn exclusive(&self) -> std::io::Result<super::lock::ProfileLock> {
        super::lock::acquire(&self.path.with_file_name(format!("{}.lock", Self::NAME)))
    }

    /// Set the target; the new sequence number.
    pub fn set(&self, target: Target) -> std::io::Result<u64> {
        let _exclusive = self.exclusive()?;
        let seq = self.read().map_or(1, |r| r.seq + 1);
        self.write(&TargetRecord {
            profile: self.profile.clone(),
            target,
            seq,
            at_ms: now_ms(),
            connecting: None,
        })?;
        Ok(seq)
    }

    /// Record the step of the connect that set `seq`, or its end (`None`);
    /// nothing when the target changed since.
    pub fn set_step(&self, seq: u64, step: Option<ConnectStep>) {
        let _exclusive = match self.exclusive() {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(error = %e, "cannot lock {}", self.path.display());
                return;
            }
        };
        let Some(mut record) = self.read().filter(|r| r.seq == seq) else {
            return;
        };
        record.connecting = step.map(|step| Connecting {
            pid: std::process::id(),
            step,
        });
        if let Err(e) = self.write(&record) {
            tracing::warn!(error = %e, "cannot write {}", self.path.display());
        }
    }

    fn write(&self, record: &TargetRecord) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        crate::settings::write_atomic(&self.path, &bytes)
    }
}

/// Cancels a connect from the same process (Cancel in the tray). A connect
/// also stops when the persisted target changes (from any process).
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<CancelInner>);

#[derive(Debug, Default)]
struct CancelInner {
    cancelled: AtomicBool,
    notify: Notify,
}

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Completes once [`Self::cancel`] was called.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_bumps_the_sequence_and_steps_follow_only_their_connect() {
        let dir = tempfile::tempdir().unwrap();
        let file = TargetFile::new(dir.path(), "home");
        assert_eq!(file.read(), None);
        let first = file.set(Target::Connected).unwrap();
        assert_eq!(first, 1);
        file.set_step(first, Some(ConnectStep::Images));
        let record = file.read().unwrap();
        assert_eq!(record.connecting.map(|c| c.step), Some(ConnectStep::Images));
        let second = file.set(Target::Disconnected).unwrap();
        assert_eq!(second, 2);
        // The cancelled connect's next step does not bring it back.
        file.set_step(first, Some(ConnectStep::CreatingGateway));
        let record = file.read().unwrap();
        assert_eq!(
            (record.target, record.connecting),
            (Target::Disconnected, None)
        );
        // Another profile's record is not this one's.
        assert_eq!(TargetFile::new(dir.path(), "work").read(), None);
    }

    /// A connect records its steps while the user disconnects (another
    /// process, in the app): the Disconnect is never written over by a
    /// step recorded from an older read of the file.
    #[test]
    fn a_step_never_writes_over_a_new_target() {
        let dir = tempfile::tempdir().unwrap();
        let file = TargetFile::new(dir.path(), "home");
        for round in 0..100 {
            let seq = file.set(Target::Connected).unwrap();
            let stepper = std::thread::spawn({
                let file = file.clone();
                move || {
                    for _ in 0..50 {
                        file.set_step(seq, Some(ConnectStep::StartingGateway));
                    }
                }
            });
            std::thread::sleep(std::time::Duration::from_micros(200));
            file.set(Target::Disconnected).unwrap();
            stepper.join().unwrap();
            let record = file.read().unwrap();
            assert_eq!(
                (record.target, record.connecting),
                (Target::Disconnected, None),
                "round {round}: the disconnect was lost"
            );
        }
    }

    #[tokio::test]
    async fn a_token_wakes_its_waiters() {
        let token = CancelToken::new();
        let waiter = tokio::spawn({
            let token = token.clone();
            async move { token.cancelled().await }
        });
        tokio::task::yield_now().await;
        assert!(!token.is_cancelled());
        token.cancel();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        assert!(token.is_cancelled());
    }
}
