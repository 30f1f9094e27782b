//! The gateway + protected services stack, as containers in the engine:
//! what it is made of ([`spec`]), what exists ([`observe`]), and the
//! [`StackManager`] that connects, disconnects, reconciles and heals it.

pub mod engine;
mod error;
pub mod harden;
pub mod heal;
pub mod labels;
mod lock;
mod manager;
mod observe;
pub mod spec;
pub mod webui;

pub use error::StackError;
pub use heal::{HealEvent, Healer};
pub use manager::{
    gateway_release, tunnel_ip, Connected, ManagerOptions, Progress, ProgressFn, Reconciled,
    StackManager, CONNECT_STEPS,
};
pub use observe::{observe, ContainerState, Role, StackObservation, StackState};
