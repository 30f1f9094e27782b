//! What may go around the tunnel, or be reached from outside this machine:
//! LAN subnets (gluetun's `FIREWALL_OUTBOUND_SUBNETS` route them outside the
//! tunnel even while it is up), the probe target, the address the Web UI is
//! published on, the Docker engine's address, and the downloads folder.
//! Each check says why, naming nothing secret.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new(Ipv4Addr::new(a, b, c, d), len).unwrap_or_default()
}

fn v6(segments: [u16; 8], len: u8) -> Ipv6Net {
    let [a, b, c, d, e, f, g, h] = segments;
    Ipv6Net::new(Ipv6Addr::new(a, b, c, d, e, f, g, h), len).unwrap_or_default()
}

/// The ranges a LAN can be in: RFC 1918, link-local, IPv6 unique-local and
/// link-local; and the carrier-grade NAT range (RFC 6598), allowed with a
/// warning.
fn private_ranges() -> [(IpNet, Option<&'static str>); 6] {
    [
        (v4(10, 0, 0, 0, 8).into(), None),
        (v4(172, 16, 0, 0, 12).into(), None),
        (v4(192, 168, 0, 0, 16).into(), None),
        (v4(169, 254, 0, 0, 16).into(), None),
        (
            v4(100, 64, 0, 0, 10).into(),
            Some("is in 100.64.0.0/10, the carrier-grade NAT range: other customers of your ISP may share it"),
        ),
        (v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7).into(), None),
    ]
}

fn ipv6_link_local() -> IpNet {
    v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10).into()
}

/// A LAN subnet: inside a private range. `Ok(Some(warning))` for the
/// carrier-grade NAT range.
pub fn check_lan_subnet(net: &IpNet) -> Result<Option<String>, String> {
    if net.prefix_len() == 0 {
        return Err(format!("{net} would let all traffic bypass the tunnel"));
    }
    if *net != net.trunc() {
        return Err(format!(
            "{net} has host bits set; did you mean {}?",
            net.trunc()
        ));
    }
    if ipv6_link_local().contains(net) {
        return Ok(None);
    }
    for (range, warning) in private_ranges() {
        if range.contains(net) {
            return Ok(warning.map(|w| format!("{net} {w}")));
        }
    }
    Err(format!(
        "{net} is not a private range: gluetun routes these subnets outside the tunnel, with \
         your real IP; use your LAN's range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, \
         169.254.0.0/16, fc00::/7 or fe80::/10)"
    ))
}

fn is_private(ip: IpAddr) -> bool {
    let host = IpNet::from(ip);
    ipv6_link_local().contains(&host)
        || private_ranges()
            .iter()
            .any(|(range, warning)| warning.is_none() && range.contains(&host))
}

/// The probe target: an address on the internet, pinged through the tunnel
/// and outside it; never loopback, never inside a LAN subnet (a probe that
/// stays on the LAN proves nothing about the tunnel).
pub fn check_probe_target(target: IpAddr, lan: &[IpNet]) -> Result<(), String> {
    if target.is_loopback() || target.is_unspecified() || target.is_multicast() {
        return Err(format!("{target} is not an address on the internet"));
    }
    if let Some(net) = lan.iter().find(|n| n.contains(&target)) {
        return Err(format!(
            "{target} is inside the LAN subnet {net}, which goes outside the tunnel: a probe \
             there proves nothing about the tunnel"
        ));
    }
    Ok(())
}

/// The address the Web UI and control ports are published on: loopback, or
/// an address of this machine on a private range (a warning: the Web UI is
/// then reachable from the LAN over plain HTTP). Never every address.
pub fn check_bind_address(address: IpAddr) -> Result<Option<String>, String> {
    if address.is_loopback() {
        return Ok(None);
    }
    if address.is_unspecified() {
        return Err(format!(
            "{address} publishes the Web UI on every network this machine joins; choose \
             127.0.0.1, or this machine's address on your LAN"
        ));
    }
    if is_private(address) {
        return Ok(Some(format!(
            "the Web UI is reachable from your LAN at {address}, over plain HTTP"
        )));
    }
    Err(format!(
        "{address} is not on a private network: the Web UI would be reachable from the \
         internet; choose 127.0.0.1, or this machine's address on your LAN"
    ))
}

/// A Docker engine address: `tcp://`/`http://` (no TLS) only to loopback;
/// a remote engine needs `https://` (TLS).
pub fn check_docker_host(host: &str) -> Result<(), String> {
    let usage = format!(
        "{host:?} is not a Docker endpoint like unix:///var/run/docker.sock, \
         tcp://127.0.0.1:2375 or https://host:2376"
    );
    match host.split_once("://") {
        Some(("unix", path)) if path.starts_with('/') => Ok(()),
        Some(("npipe", _)) => Ok(()),
        Some(("https", addr)) if addr.contains(':') && !addr.contains(' ') => Ok(()),
        Some(("tcp" | "http", addr)) if addr.contains(':') && !addr.contains(' ') => {
            let hostname = addr
                .rsplit_once(':')
                .map_or(addr, |(h, _)| h)
                .trim_start_matches('[')
                .trim_end_matches(']');
            let loopback = hostname == "localhost"
                || hostname.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
            if loopback {
                Ok(())
            } else {
                Err(format!(
                    "{host:?} would reach a remote engine without encryption; use https:// \
                     (TLS) for an engine on another machine"
                ))
            }
        }
        _ => Err(usage),
    }
}

/// Folders a downloads folder may not be (or be inside), because
/// qBittorrent would write into them: the system's own.
const SYSTEM_DIRS: &[&str] = &[
    "/System",
    "/Library",
    "/Applications",
    "/usr",
    "/bin",
    "/sbin",
    "/etc",
    "/dev",
    "/proc",
    "/sys",
    "/boot",
    "/private/etc",
    "/private/var/db",
    "/Volumes",
];

/// The downloads folder: not the home folder itself, not `~/Library`, not a
/// system folder. `home` is the user's home (`None` when unknown).
pub fn check_downloads_dir(path: &Path, home: Option<&Path>) -> Result<(), String> {
    if let Some(home) = home {
        if path == home {
            return Err(format!(
                "{} is your home folder; choose a folder inside it, like {}",
                path.display(),
                home.join("Downloads/Torrents").display()
            ));
        }
        if path.starts_with(home.join("Library")) {
            return Err(format!(
                "{} is inside ~/Library, where macOS and apps keep their data",
                path.display()
            ));
        }
    }
    for dir in SYSTEM_DIRS {
        let d = Path::new(dir);
        // /Volumes itself is refused; a folder on a volume is fine.
        let inside = if *dir == "/Volumes" {
            path == d
        } else {
            path.starts_with(d)
        };
        if inside {
            return Err(format!("{} is a system folder", path.display()));
        }
    }
    Ok(())
}

/// For a folder on an external volume (`/Volumes/<name>/…`): the volume
/// must be mounted, or the folder would be created on the boot disk under
/// the volume's name.
pub fn check_volume_mounted(path: &Path) -> Result<(), String> {
    let mut parts = path.components();
    let (Some(_root), Some(first), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(());
    };
    if first.as_os_str() != "Volumes" {
        return Ok(());
    }
    let volume = Path::new("/Volumes").join(name.as_os_str());
    if volume.is_dir() {
        Ok(())
    } else {
        Err(format!(
            "the volume {} is not mounted: connect the drive, or choose another downloads folder",
            volume.display()
        ))
    }
}

/// This machine's address on its LAN, for publishing the Web UI there: the
/// first private IPv4 address of an interface that is up, not loopback and
/// not one of Docker's bridges. `None` when it has none.
pub fn lan_address_of_this_host() -> Option<IpAddr> {
    let interfaces = if_addrs::get_if_addrs().ok()?;
    let docker_like = |name: &str| {
        ["docker", "br-", "veth", "bridge", "utun", "vmnet"]
            .iter()
            .any(|p| name.starts_with(p))
    };
    interfaces
        .into_iter()
        .filter(|i| !i.is_loopback() && !docker_like(&i.name))
        .map(|i| i.ip())
        .find(|ip| ip.is_ipv4() && is_private(*ip) && check_bind_address(*ip).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_on_a_drive_that_is_not_mounted_is_refused() {
        let missing = Path::new("/Volumes/Torrent VPN test drive that is not here/Torrents");
        let e = check_volume_mounted(missing).unwrap_err();
        assert!(e.contains("is not mounted"), "{e}");
        assert!(check_volume_mounted(Path::new("/srv/Torrents")).is_ok());
        assert!(check_volume_mounted(Path::new("/Volumes")).is_ok());
    }

    #[test]
    fn docker_hosts_in_the_clear_only_on_loopback() {
        for ok in [
            "unix:///var/run/docker.sock",
            "tcp://127.0.0.1:2375",
            "tcp://localhost:2375",
            "tcp://[::1]:2375",
            "https://nas.lan:2376",
        ] {
            assert!(check_docker_host(ok).is_ok(), "{ok}");
        }
        for bad in [
            "tcp://10.0.0.5:2375",
            "http://[fd00::5]:2375",
            "ftp://x:1",
            "unix://relative",
        ] {
            assert!(check_docker_host(bad).is_err(), "{bad}");
        }
    }
}
