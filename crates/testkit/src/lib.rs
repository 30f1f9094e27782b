//! The test kit of the workspace's tests that run real containers: the
//! client tests of `tvpn-core` and the lab tests of `tvpn-cli`. A
//! dev-dependency only; no build of the app or the CLI links it.
//!
//! Everything here uses locally built lab images (`scripts/lab build`) and
//! never pulls. Containers and networks it creates carry the label
//! `dev.torrentvpn.test=1`, publish only on 127.0.0.1, and are removed when
//! their guard drops, whether the test passed or not. Helpers that need the
//! lab (`scripts/lab up`) or a Secret Service fail, never skip, without
//! them. Traffic goes only to 127.0.0.1 and the lab's networks.
//!
//! Every helper is also exported at the crate root, so a test file can name
//! the kit once (`use tvpn_testkit as lab;`) and call `lab::docker()`.

// A test kit fails the way the tests do: by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod display;
pub mod docker;
pub mod lab;
pub mod natpmp;
pub mod profile;
pub mod scan;
pub mod wait;
pub mod watch;

pub use display::*;
pub use docker::*;
pub use lab::*;
pub use natpmp::*;
pub use profile::*;
pub use scan::*;
pub use wait::*;
pub use watch::*;
