//! The control-server auth config the app gives the gateway.
//!
//! gluetun reads roles from the TOML file named by
//! `HTTP_CONTROL_SERVER_AUTH_CONFIG_FILEPATH` (default
//! `/gluetun/auth/config.toml`). Its decoder rejects unknown keys, and every
//! route must be one the running version knows, so the file holds exactly one
//! role, `torrent-vpn`, with exactly the routes this client calls.

use rand::rngs::OsRng;
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};

use super::GluetunRelease;

/// The role's name; gluetun only uses it in its logs.
pub const ROLE_NAME: &str = "torrent-vpn";

/// Every route [`super::GluetunClient`] calls, as `"METHOD /path"`.
///
/// `GET /v1/portforward` exists from v3.41.0 on. gluetun v3.40 refuses to
/// start when a role lists a route it does not know: use
/// [`app_routes_for`] (or [`APP_ROUTES_BEFORE_V3_41`]) for such gateways.
pub const APP_ROUTES: &[&str] = &[
    "GET /v1/version",
    "GET /v1/vpn/status",
    "PUT /v1/vpn/status",
    "GET /v1/publicip/ip",
    "GET /v1/portforward",
    "GET /v1/openvpn/portforwarded",
    "GET /v1/dns/status",
];

/// [`APP_ROUTES`] without `GET /v1/portforward`, for gluetun v3.40.x.
pub const APP_ROUTES_BEFORE_V3_41: &[&str] = &[
    "GET /v1/version",
    "GET /v1/vpn/status",
    "PUT /v1/vpn/status",
    "GET /v1/publicip/ip",
    "GET /v1/openvpn/portforwarded",
    "GET /v1/dns/status",
];

/// The routes to list for a gateway of this release. Role-based auth
/// exists from v3.39.1 on (v3.39.0 and older have none and ignore the
/// file); a release that predates `GET /v1/portforward`, or whose version
/// nothing tells ([`GluetunRelease::Unknown`]), gets the list every release
/// accepts, since an unknown route is fatal at start-up
/// (`internal/server/middlewares/auth/settings.go`).
pub fn app_routes_for(release: &GluetunRelease) -> &'static [&'static str] {
    if release.has_portforward_route() {
        APP_ROUTES
    } else {
        APP_ROUTES_BEFORE_V3_41
    }
}

/// The auth config TOML for `api_key`, with one `[[roles]]` entry covering
/// [`APP_ROUTES`]. It contains the key, hence the `SecretString`.
pub fn auth_config_toml(api_key: &SecretString) -> SecretString {
    auth_config_toml_with_routes(api_key, APP_ROUTES)
}

/// Like [`auth_config_toml`], with an explicit route list (see
/// [`app_routes_for`]).
pub fn auth_config_toml_with_routes(api_key: &SecretString, routes: &[&str]) -> SecretString {
    let key = api_key.expose_secret();
    // Sized up front so that the key is not left behind in a reallocation.
    let capacity = 256 + 6 * key.len() + routes.iter().map(|r| r.len() + 8).sum::<usize>();
    let mut out = String::with_capacity(capacity);
    out.push_str(
        "# Written by Torrent VPN: the gateway control-server role the app uses.\n\
         # Recreate the gateway from the app to change it.\n\
         [[roles]]\n",
    );
    out.push_str("name = ");
    push_toml_string(&mut out, ROLE_NAME);
    out.push_str("\nauth = \"apikey\"\napikey = ");
    push_toml_string(&mut out, key);
    out.push_str("\nroutes = [\n");
    for route in routes {
        out.push_str("  ");
        push_toml_string(&mut out, route);
        out.push_str(",\n");
    }
    out.push_str("]\n");
    SecretString::from(out)
}

/// Append `value` as a TOML basic string (double quotes, escapes).
fn push_toml_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                out.push_str(&format!("\\u{:04X}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// A new control-server API key: 22 base58 characters (about 129 bits), the
/// shape `gluetun genkey` prints.
pub fn generate_api_key() -> SecretString {
    let mut rng = OsRng;
    let key: String = (0..22)
        .map(|_| char::from(BASE58[rng.gen_range(0..BASE58.len())]))
        .collect();
    SecretString::from(key)
}
