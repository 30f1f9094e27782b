//! The gateway + protected services stack, as containers in the engine:
//! what it is made of ([`spec`]), what exists ([`observe`]), and the
//! [`StackManager`] that connects, disconnects and reconciles it.

pub mod engine;
mod error;
pub mod harden;
pub mod labels;
mod lock;
mod manager;
mod observe;
pub mod spec;
pub mod target;
pub mod webui;

pub use crate::progress::{Progress, ProgressFn, CONNECT_STEPS};
pub use error::StackError;
pub use manager::{
    gateway_release, tunnel_ip, Connected, ManagerOptions, Reconciled, StackManager, VOLUME_PATH,
};
pub use observe::{observe, ContainerState, Role, StackObservation, StackState};
pub use target::{CancelToken, Target, TargetFile, TargetRecord};
