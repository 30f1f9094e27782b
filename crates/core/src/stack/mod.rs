//! The gateway + protected services stack, as containers in the engine.

pub mod labels;
mod observe;
pub mod spec;

pub use observe::{observe, ContainerState, Role, StackObservation, StackState};
