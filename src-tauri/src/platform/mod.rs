//! Platform differences, behind one small facade.

#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod imp;

#[cfg(not(target_os = "macos"))]
#[path = "other.rs"]
mod imp;

pub use imp::{configure_app, link_as_admin, login_method, SHOWS_TITLE, USE_TEMPLATE_ICONS};
