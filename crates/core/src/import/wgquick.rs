//! wg-quick `.conf` files: an `[Interface]` section and at most one `[Peer]`.
//!
//! [`parse`] is pure and checks the structure only (sections, `Key = Value`
//! lines, repeated keys); the values are checked when the import is planned.
//! As in `wg`, section and key names are case-insensitive and `#` starts a
//! comment anywhere on a line. Host names in `Endpoint` are resolved through
//! a [`Resolver`], so tests use a fixed map.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use secrecy::SecretString;

use super::envfile::split_lines;
use super::Problem;

/// A `Key = Value` line.
#[derive(Debug)]
pub struct Field {
    pub line: usize,
    /// The key as written in the file.
    pub key: String,
    pub value: SecretString,
}

#[derive(Debug, Default)]
pub struct Section {
    /// Line of the `[Interface]` or `[Peer]` header.
    pub line: usize,
    pub fields: Vec<Field>,
}

impl Section {
    /// The field named `key` (any case).
    pub fn get(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key.eq_ignore_ascii_case(key))
    }

    /// Every field named `key` (any case), in file order.
    pub fn all<'s>(&'s self, key: &'s str) -> impl Iterator<Item = &'s Field> + 's {
        self.fields
            .iter()
            .filter(move |f| f.key.eq_ignore_ascii_case(key))
    }
}

#[derive(Debug)]
pub struct WgQuick {
    pub interface: Section,
    pub peer: Option<Section>,
}

/// Keys that may appear more than once in a section.
const REPEATABLE: &[&str] = &[
    "Address",
    "DNS",
    "AllowedIPs",
    "PreUp",
    "PostUp",
    "PreDown",
    "PostDown",
];

/// True when `text` has an `[Interface]` section header: then it is a
/// wg-quick file, not a `.env` file.
pub fn looks_like_wg_quick(text: &str) -> bool {
    split_lines(text)
        .into_iter()
        .enumerate()
        .any(|(i, (start, end, _))| {
            section_name(line_content(text, i, start, end))
                .is_some_and(|name| name.eq_ignore_ascii_case("interface"))
        })
}

/// A line without its comment and surrounding blanks (and without a
/// byte-order mark on the first line).
fn line_content(text: &str, index: usize, start: usize, end: usize) -> &str {
    let raw = &text[start..end];
    let raw = if index == 0 {
        raw.trim_start_matches('\u{feff}')
    } else {
        raw
    };
    strip_comment(raw)
}

/// The name in a `[name]` header line.
fn section_name(line: &str) -> Option<&str> {
    line.strip_prefix('[')?.strip_suffix(']').map(str::trim)
}

fn strip_comment(line: &str) -> &str {
    line.split_once('#')
        .map_or(line, |(before, _)| before)
        .trim()
}

fn problem(line: usize, var: Option<&str>, message: impl Into<String>) -> Problem {
    Problem {
        line: Some(line),
        var: var.map(str::to_owned),
        message: message.into(),
    }
}

enum Current {
    None,
    Interface,
    Peer,
}

/// Parse a whole file. The first structural problem is the error.
pub fn parse(text: &str) -> Result<WgQuick, Problem> {
    let mut interface: Option<Section> = None;
    let mut peer: Option<Section> = None;
    let mut current = Current::None;
    for (i, (start, end, _)) in split_lines(text).into_iter().enumerate() {
        let number = i + 1;
        let line = line_content(text, i, start, end);
        if line.is_empty() {
            continue;
        }
        if line.starts_with('[') {
            let Some(name) = section_name(line) else {
                return Err(problem(
                    number,
                    None,
                    "a section header must look like [Peer]",
                ));
            };
            if name.eq_ignore_ascii_case("interface") {
                if interface.is_some() {
                    return Err(problem(number, None, "a second [Interface] section"));
                }
                interface = Some(Section {
                    line: number,
                    fields: Vec::new(),
                });
                current = Current::Interface;
            } else if name.eq_ignore_ascii_case("peer") {
                if peer.is_some() {
                    return Err(problem(
                        number,
                        None,
                        "a second [Peer] section; the gateway connects to one server, so import a file with one peer",
                    ));
                }
                peer = Some(Section {
                    line: number,
                    fields: Vec::new(),
                });
                current = Current::Peer;
            } else {
                return Err(problem(
                    number,
                    None,
                    "unknown section; a wg-quick file has [Interface] and [Peer]",
                ));
            }
            continue;
        }
        let key_end = line
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(line.len());
        let key = &line[..key_end];
        let after_key = line[key_end..].trim_start();
        let Some(value) = after_key.strip_prefix('=').filter(|_| !key.is_empty()) else {
            let shown = (!key.is_empty()).then_some(key);
            return Err(problem(number, shown, "expected Key = Value"));
        };
        let value = value.trim();
        if value.chars().any(char::is_control) {
            return Err(problem(
                number,
                Some(key),
                "the value contains a control character",
            ));
        }
        let section = match current {
            Current::None => {
                return Err(problem(
                    number,
                    Some(key),
                    "outside a section; a wg-quick file starts with [Interface]",
                ))
            }
            Current::Interface => interface.as_mut(),
            Current::Peer => peer.as_mut(),
        };
        let Some(section) = section else {
            return Err(problem(number, Some(key), "outside a section"));
        };
        let repeatable = REPEATABLE.iter().any(|r| r.eq_ignore_ascii_case(key));
        if !repeatable {
            if let Some(first) = section.get(key) {
                return Err(problem(
                    number,
                    Some(key),
                    format!("is set again (first on line {})", first.line),
                ));
            }
        }
        section.fields.push(Field {
            line: number,
            key: key.to_owned(),
            value: SecretString::from(value.to_owned()),
        });
    }
    let interface = interface.ok_or_else(|| {
        problem(
            1,
            None,
            "no [Interface] section: this is not a wg-quick file",
        )
    })?;
    Ok(WgQuick { interface, peer })
}

/// Where an `Endpoint` points: an address already, or a host name to resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Addr(SocketAddr),
    Host { host: String, port: u16 },
}

/// Parse `1.2.3.4:51820`, `[2001:db8::1]:51820` or `vpn.example.com:51820`.
/// The error says what is wrong without repeating the value.
pub fn parse_endpoint(s: &str) -> Result<Endpoint, &'static str> {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return if addr.port() == 0 {
            Err("the port must be between 1 and 65535")
        } else {
            Ok(Endpoint::Addr(addr))
        };
    }
    if s.starts_with('[') || s.parse::<IpAddr>().is_ok() {
        return Err("expected an address with a port, like 1.2.3.4:51820 or [2001:db8::1]:51820");
    }
    let (host, port) = s
        .rsplit_once(':')
        .ok_or("expected host:port, like vpn.example.com:51820")?;
    let port: u16 = port
        .parse()
        .ok()
        .filter(|p| *p != 0)
        .ok_or("the port must be a number between 1 and 65535")?;
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    if !host_ok {
        return Err("not a host name or IP address");
    }
    Ok(Endpoint::Host {
        host: host.to_owned(),
        port,
    })
}

/// Resolves host names to addresses. Any `Fn(&str) -> Result<Vec<IpAddr>, String>`
/// is one, which is how tests give a fixed map.
pub trait Resolver {
    /// The host's addresses, or why there are none.
    fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, String>;
}

impl<F> Resolver for F
where
    F: Fn(&str) -> Result<Vec<IpAddr>, String>,
{
    fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, String> {
        self(host)
    }
}

/// The system resolver (`getaddrinfo`). It blocks: call it off the async runtime.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, String> {
        let addrs = (host, 0)
            .to_socket_addrs()
            .map_err(|e| e.to_string())?
            .map(|a| a.ip())
            .collect::<Vec<_>>();
        let mut unique = Vec::new();
        for a in addrs {
            if !unique.contains(&a) {
                unique.push(a);
            }
        }
        Ok(unique)
    }
}

/// The address the gateway will use: the first IPv4 one, else the first.
pub fn pick_address(addrs: &[IpAddr]) -> Option<IpAddr> {
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    const CONF: &str = "\
# wg0 from the provider
[Interface]
PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=
Address = 10.64.0.2/32, fc00:bbbb::2/128
Address = 10.64.0.3/32
DNS = 10.64.0.1

[peer]   # lower case is fine
publickey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = vpn.example.com:51820
";

    #[test]
    fn sections_and_fields() {
        assert!(looks_like_wg_quick(CONF));
        assert!(looks_like_wg_quick("\u{feff}[INTERFACE]\r\n"));
        assert!(!looks_like_wg_quick("A=1\n# [Interface]\n"));
        let wg = parse(CONF).unwrap();
        assert_eq!(wg.interface.line, 2);
        assert_eq!(wg.interface.all("address").count(), 2);
        let pk = wg.interface.get("privatekey").unwrap();
        assert_eq!(pk.line, 3);
        assert!(pk.value.expose_secret().ends_with("Bmk="));
        let peer = wg.peer.unwrap();
        assert_eq!(peer.line, 8);
        assert_eq!(
            peer.get("Endpoint").unwrap().value.expose_secret(),
            "vpn.example.com:51820"
        );
    }

    #[test]
    fn structural_problems_name_the_line() {
        #[rustfmt::skip]
        let cases: &[(&str, usize, Option<&str>, &str)] = &[
            ("PrivateKey = secretvalue\n[Interface]\n", 1, Some("PrivateKey"), "outside a section"),
            ("[Interface]\nPrivateKey secretvalue\n", 2, Some("PrivateKey"), "Key = Value"),
            ("[Interface]\n= secretvalue\n", 2, None, "Key = Value"),
            ("[Interface]\nPrivateKey = a\nprivatekey = secretvalue\n", 3, Some("privatekey"), "first on line 2"),
            ("[Interface]\n[Peer]\n[Peer]\n", 3, None, "second [Peer]"),
            ("[Interface]\n[Interface]\n", 2, None, "second [Interface]"),
            ("[Interface]\n[Other]\n", 2, None, "unknown section"),
            ("[Interface\n", 1, None, "section header"),
            ("[Peer]\nPublicKey = x\n", 1, None, "no [Interface]"),
        ];
        for (text, line, var, msg) in cases {
            let err = parse(text).unwrap_err();
            assert_eq!(err.line, Some(*line), "{text:?}");
            assert_eq!(err.var.as_deref(), *var, "{text:?}");
            let shown = format!("{err} {err:?}");
            assert!(shown.contains(msg), "{text:?}: {shown}");
            assert!(!shown.contains("secretvalue"), "{text:?}: {shown}");
        }
    }

    #[test]
    fn endpoints() {
        assert_eq!(
            parse_endpoint("1.2.3.4:51820"),
            Ok(Endpoint::Addr("1.2.3.4:51820".parse().unwrap()))
        );
        assert_eq!(
            parse_endpoint("[2001:db8::1]:51820"),
            Ok(Endpoint::Addr("[2001:db8::1]:51820".parse().unwrap()))
        );
        assert_eq!(
            parse_endpoint("vpn.example.com:443"),
            Ok(Endpoint::Host {
                host: "vpn.example.com".into(),
                port: 443
            })
        );
        for bad in [
            "1.2.3.4",
            "1.2.3.4:0",
            "vpn.example.com",
            "vpn.example.com:x",
            "vpn.example.com:70000",
            ":51820",
            "bad host:1",
            "[2001:db8::1]",
            "a..b:1",
        ] {
            assert!(parse_endpoint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn closures_are_resolvers_and_ipv4_is_preferred() {
        let fixed = |host: &str| match host {
            "vpn.example.com" => Ok(vec![
                "2001:db8::1".parse().unwrap(),
                "192.0.2.7".parse().unwrap(),
            ]),
            _ => Err("not found".to_owned()),
        };
        let addrs = fixed.resolve("vpn.example.com").unwrap();
        assert_eq!(pick_address(&addrs), Some("192.0.2.7".parse().unwrap()));
        assert!(fixed.resolve("other").is_err());
        assert_eq!(pick_address(&[]), None);
    }

    #[test]
    fn the_system_resolver_resolves_localhost() {
        // Only `localhost`: tests send nothing beyond loopback.
        let addrs = SystemResolver.resolve("localhost").unwrap();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(IpAddr::is_loopback), "{addrs:?}");
    }
}
