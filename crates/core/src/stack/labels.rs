//! Labels the app puts on everything it creates.
//!
//! The compose labels make `docker compose ls/ps` show the stack; the app's
//! own labels are how it finds its containers again, whatever their names.

/// Marks a container, network or volume as created by Torrent VPN.
pub const MANAGED: &str = "dev.torrentvpn.managed";
/// The settings profile a container belongs to.
pub const PROFILE: &str = "dev.torrentvpn.profile";
/// On the short-lived container that reaches a volume for a backup or a
/// restore (never started): the profile.
pub const HOLDER: &str = "dev.torrentvpn.volume-holder";
/// `gateway` or `service`.
pub const ROLE: &str = "dev.torrentvpn.role";
/// For a service: which protected service it is (e.g. `qbittorrent`).
pub const SERVICE: &str = "dev.torrentvpn.service";

pub const COMPOSE_PROJECT: &str = "com.docker.compose.project";
pub const COMPOSE_SERVICE: &str = "com.docker.compose.service";
/// `docker compose ps` lists only containers marked as not one-off.
pub const COMPOSE_ONEOFF: &str = "com.docker.compose.oneoff";
pub const COMPOSE_CONTAINER_NUMBER: &str = "com.docker.compose.container-number";
/// Hash of the gateway definition, to spot a gateway made from old settings.
pub const SPEC_HASH: &str = "dev.torrentvpn.spec-hash";
/// A keyed hash of the gateway's secret files, to spot rotated keys.
pub const SECRETS_HASH: &str = "dev.torrentvpn.secrets-hash";
