//! What the front-ends' logs may hold.
//!
//! The HTTP and Docker client crates log request bodies and headers at
//! `debug`/`trace`; through them go the secrets tar (the WireGuard key), the
//! control server's API key and qBittorrent's login. Whatever level the user
//! asks for (`RUST_LOG=trace`, `-vv`), these crates are held at `info`.

/// `tracing` filter directives that cap the transport crates at `info`;
/// added after the user's filter, they win for those targets.
pub const TRANSPORT_LOG_CAPS: &[&str] = &[
    "bollard=info",
    "hyper=info",
    "hyper_util=info",
    "h2=info",
    "reqwest=info",
    "tower=info",
    "rustls=info",
];
