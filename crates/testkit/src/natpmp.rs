//! The lab VPN's NAT-PMP server: the port the provider forwards.

use bollard::Docker;

use crate::docker::exec;
use crate::lab::VPN_SERVER;

/// The port the lab VPN's NAT-PMP server hands out (what the provider
/// forwards); 41000 after `lab up`.
pub async fn natpmp_port(docker: &Docker) -> u16 {
    let out = exec(docker, VPN_SERVER, &["lab-natpmp", "port"]).await;
    out.trim()
        .parse()
        .unwrap_or_else(|_| panic!("lab-natpmp port printed {out:?}"))
}

/// Put the NAT-PMP server back on the port `lab up` starts it with, after a
/// test that changed it.
pub async fn reset_natpmp(docker: &Docker) {
    exec(docker, VPN_SERVER, &["lab-natpmp", "set-port", "41000"]).await;
}
