"""Self-test of gluetun_settings.py: env -> gluetun's exact start-up error.

No Docker, no pip packages:

    cd lab/images/gateway && python3 -m unittest -v test_gluetun_settings

Every row names the upstream gluetun file whose rule it checks; the expected
messages were written from gluetun's source (v3.40.4, v3.41.1, master) and
its libraries (gosettings v0.4.4, qdm12/log, wgctrl wgtypes, Go's strconv,
time, net, netip, encoding/base64), not from this module's output.
"""

import base64
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gluetun_settings as gs  # noqa: E402

KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(32, 64))).decode()
KEY_16 = base64.b64encode(bytes(16)).decode()
NORD_TOKEN = "0123456789abcdef" * 4  # 64 hex characters decode to 48 bytes

# The gateway image's ENV (lab/images/gateway/Dockerfile) plus a valid
# custom WireGuard peer, like `scripts/lab up` starts it.
IMAGE_ENV = {
    "VPN_SERVICE_PROVIDER": "pia",
    "VPN_TYPE": "openvpn",
    "VPN_INTERFACE": "tun0",
    "WIREGUARD_MTU": "1320",
    "HTTP_CONTROL_SERVER_ADDRESS": ":8000",
    "HTTP_CONTROL_SERVER_LOG": "on",
    "HTTP_CONTROL_SERVER_AUTH_CONFIG_FILEPATH": "/gluetun/auth/config.toml",
    "HEALTH_SERVER_ADDRESS": "127.0.0.1:9999",
    "HEALTH_TARGET_ADDRESSES": "10.222.0.10:80",
    "HEALTH_ICMP_TARGET_IPS": "10.222.0.10",
    "HEALTH_RESTART_VPN": "on",
    "DNS_UPSTREAM_RESOLVER_TYPE": "plain",
    "DNS_UPSTREAM_PLAIN_ADDRESSES": "10.222.0.53:53",
    "PUBLICIP_API_URL": "http://10.222.0.10/",
    "PUBLICIP_FILE": "/tmp/gluetun/ip",
    "VPN_PORT_FORWARDING": "off",
    "VPN_PORT_FORWARDING_STATUS_FILE": "/tmp/gluetun/forwarded_port",
    "PUID": "1000",
    "PGID": "1000",
}
CUSTOM_WG = {
    "VPN_SERVICE_PROVIDER": "custom",
    "VPN_TYPE": "wireguard",
    "WIREGUARD_PRIVATE_KEY": KEY_A,
    "WIREGUARD_PUBLIC_KEY": KEY_B,
    "WIREGUARD_ENDPOINT_IP": "10.222.0.3",
    "WIREGUARD_ENDPOINT_PORT": "51820",
    "WIREGUARD_ADDRESSES": "10.66.66.2/32",
}
NO_WG_PEER = {"WIREGUARD_PUBLIC_KEY": None, "WIREGUARD_ENDPOINT_IP": None, "WIREGUARD_ENDPOINT_PORT": None}
PIA_OVPN = {"VPN_SERVICE_PROVIDER": "private internet access", "VPN_TYPE": "openvpn",
            "OPENVPN_USER": "p1234567", "OPENVPN_PASSWORD": "secret"}

ALL = ("v3.39", "v3.40", "v3.41", "latest")
BOOL_CHOICES = "enabled, yes, on, true, disabled, no, off or false"
NO_CHOICE = "one or more values is set but there is no possible value available"
WG_PROVIDERS = "airvpn, custom, fastestvpn, ivpn, mullvad, nordvpn, protonvpn, surfshark or windscribe"
OVPN_PROVIDERS_V340 = ("airvpn, cyberghost, expressvpn, fastestvpn, giganews, hidemyass, ipvanish, ivpn, "
                       "mullvad, nordvpn, perfect privacy, privado, private internet access, privatevpn, "
                       "protonvpn, purevpn, slickvpn, surfshark, torguard, vpnsecure, vpn unlimited, vyprvpn, "
                       "wevpn, windscribe, custom or pia")
OVPN_PROVIDERS_LATEST = ("airvpn, custom, cyberghost, expressvpn, fastestvpn, giganews, hidemyass, ipvanish, "
                         "ivpn, nordvpn, perfect privacy, pia, privado, private internet access, privatevpn, "
                         "protonvpn, purevpn, slickvpn, surfshark, torguard, vpn unlimited, vpnsecure, vyprvpn "
                         "or windscribe")
SEL = "VPN settings: provider settings: server selection: "
WGSEL = SEL + "Wireguard server selection settings: "
OVSEL = SEL + "OpenVPN server selection settings: "
WG = "VPN settings: Wireguard settings: "
OV = "VPN settings: OpenVPN settings: "
PF = "VPN settings: provider settings: port forwarding: "
REGEX = "'^[a-zA-Z0-9_]+$'"


def msg(v340, v341=None, latest=None, v339=None):
    """Expected message per generation: v3.39 defaults to v3.40, v3.41 to
    v3.40, latest to v3.41.  None = valid."""
    v341 = v340 if v341 is None else v341
    latest = v341 if latest is None else latest
    v339 = v340 if v339 is None else v339
    return {"v3.39": v339, "v3.40": v340, "v3.41": v341, "latest": latest}


VALID = object()

# (name, env changes on IMAGE_ENV + CUSTOM_WG (None deletes), generations,
#  expected (str for all, or msg(...)), upstream file)
CASES = [
    # cmd/gluetun/main.go + qdm12/log ParseLevel
    ("log level unknown", {"LOG_LEVEL": "loud"}, ALL,
     "log level: level is not recognized: loud", "cmd/gluetun/main.go"),
    ("log level lowercased by the reader", {"LOG_LEVEL": "LOUD"}, ALL,
     "log level: level is not recognized: loud", "cmd/gluetun/main.go"),
    ("log level checked before VPN settings", {"LOG_LEVEL": "trace", "WIREGUARD_PRIVATE_KEY": None}, ALL,
     "log level: level is not recognized: trace", "cmd/gluetun/main.go"),
    # vpn.go
    ("VPN type", {"VPN_TYPE": "ipsec"}, ALL,
     msg("VPN settings: VPN type is not valid: value is not one of the possible choices: "
         "ipsec must be one of openvpn or wireguard",
         latest="VPN settings: VPN type is not valid: value is not one of the possible choices: "
         "ipsec must be one of amneziawg, openvpn or wireguard"),
     "internal/configuration/settings/vpn.go"),
    ("amneziawg only on master", {"VPN_TYPE": "amneziawg"}, ("v3.40", "v3.41"),
     "VPN settings: VPN type is not valid: value is not one of the possible choices: "
     "amneziawg must be one of openvpn or wireguard", "internal/configuration/settings/vpn.go"),
    # provider.go
    ("WireGuard provider list", {"VPN_SERVICE_PROVIDER": "expressvpn"}, ALL,
     msg("VPN settings: provider settings: VPN provider name is not valid for Wireguard: "
         f"value is not one of the possible choices: expressvpn must be one of {WG_PROVIDERS}",
         latest="VPN settings: provider settings: VPN provider name is not valid for wireguard: "
         f"value is not one of the possible choices: expressvpn must be one of {WG_PROVIDERS}"),
     "internal/configuration/settings/provider.go"),
    ("OpenVPN provider list (says Wireguard before master)", {**PIA_OVPN, "VPN_SERVICE_PROVIDER": "nope"},
     ("v3.40",),
     "VPN settings: provider settings: VPN provider name is not valid for Wireguard: "
     f"value is not one of the possible choices: nope must be one of {OVPN_PROVIDERS_V340}",
     "internal/configuration/settings/provider.go + constants/providers/providers.go"),
    ("master: mullvad no longer for OpenVPN", {**PIA_OVPN, "VPN_SERVICE_PROVIDER": "mullvad"}, ("latest",),
     "VPN settings: provider settings: VPN provider name is not valid for openvpn: "
     f"value is not one of the possible choices: mullvad must be one of {OVPN_PROVIDERS_LATEST}",
     "internal/configuration/settings/provider.go"),
    ("v3.40: mullvad OpenVPN needs a user", {"VPN_SERVICE_PROVIDER": "mullvad", "VPN_TYPE": "openvpn"},
     ("v3.40", "v3.41"), OV + "user is empty", "internal/configuration/settings/openvpn.go"),
    ("image defaults (pia, openvpn) need a user", {"VPN_SERVICE_PROVIDER": "pia", "VPN_TYPE": "openvpn"}, ALL,
     OV + "user is empty", "internal/configuration/settings/openvpn.go"),
    # wireguard.go
    ("private key not set", {"WIREGUARD_PRIVATE_KEY": None}, ALL,
     WG + "private key is not set", "internal/configuration/settings/wireguard.go"),
    ("private key not base64", {"WIREGUARD_PRIVATE_KEY": "not-a-key"}, ALL,
     WG + "private key is not valid: wgtypes: failed to parse base64-encoded key: "
     "illegal base64 data at input byte 3", "internal/configuration/settings/wireguard.go + wgtypes"),
    ("private key wrong size", {"WIREGUARD_PRIVATE_KEY": KEY_16}, ALL,
     WG + "private key is not valid: wgtypes: incorrect key size: 16",
     "internal/configuration/settings/wireguard.go + wgtypes"),
    ("nordvpn access token hint", {"VPN_SERVICE_PROVIDER": "nordvpn", **NO_WG_PEER,
                                   "WIREGUARD_PRIVATE_KEY": NORD_TOKEN}, ALL,
     WG + "private key is not valid: wgtypes: incorrect key size: 48 - you might be using your "
     "access token instead of the Wireguard private key", "internal/configuration/settings/wireguard.go"),
    ("airvpn needs a pre-shared key", {"VPN_SERVICE_PROVIDER": "airvpn", **NO_WG_PEER}, ALL,
     WG + "pre-shared key is not set", "internal/configuration/settings/wireguard.go"),
    ("pre-shared key not valid", {"WIREGUARD_PRESHARED_KEY": "abc"}, ALL,
     WG + "pre-shared key is not valid: wgtypes: failed to parse base64-encoded key: "
     "illegal base64 data at input byte 0", "internal/configuration/settings/wireguard.go + base64"),
    ("addresses not set", {"WIREGUARD_ADDRESSES": None}, ALL,
     WG + "interface address is not set", "internal/configuration/settings/wireguard.go"),
    ("IPv6 address without IPv6", {"WIREGUARD_ADDRESSES": "10.66.66.2/32,fc00:bbbb::2/128"}, ALL,
     WG + "interface address is IPv6 but IPv6 is not supported: address fc00:bbbb::2/128",
     "internal/configuration/settings/wireguard.go + internal/netlink/ipv6.go"),
    ("IPv6 address gets /32", {"WIREGUARD_ADDRESSES": "FC00::2"}, ALL,
     WG + "interface address is IPv6 but IPv6 is not supported: address fc00::2/32",
     "internal/configuration/settings/wireguard.go (read adds /32)"),
    ("address not parsable", {"WIREGUARD_ADDRESSES": "10.66.66.300/32"}, ALL,
     'reading VPN settings: wireguard: parsing address: netip.ParsePrefix("10.66.66.300/32"): '
     'ParseAddr("10.66.66.300"): IPv4 field has value >255', "internal/configuration/settings/wireguard.go"),
    ("interface name", {"VPN_INTERFACE": "wg-0"}, ALL,
     WG + f"interface name is not valid: 'wg-0' does not match regex {REGEX}",
     "internal/configuration/settings/wireguard.go"),
    ("implementation", {"WIREGUARD_IMPLEMENTATION": "fast"}, ALL,
     WG + "implementation is not valid: value is not one of the possible choices: "
     "fast must be one of auto, userspace or kernelspace", "internal/configuration/settings/wireguard.go"),
    ("keepalive negative", {"WIREGUARD_PERSISTENT_KEEPALIVE_INTERVAL": "-1m30s"}, ALL,
     WG + "persistent keep alive interval is negative: -1m30s", "internal/configuration/settings/wireguard.go"),
    ("keepalive without unit", {"WIREGUARD_PERSISTENT_KEEPALIVE_INTERVAL": "25"}, ALL,
     "reading VPN settings: wireguard: environment variable WIREGUARD_PERSISTENT_KEEPALIVE_INTERVAL: "
     'time: missing unit in duration "25"', "internal/configuration/settings/wireguard.go + time"),
    ("keepalive unknown unit", {"WIREGUARD_PERSISTENT_KEEPALIVE_INTERVAL": "25 sec"}, ALL,
     "reading VPN settings: wireguard: environment variable WIREGUARD_PERSISTENT_KEEPALIVE_INTERVAL: "
     'time: unknown unit " sec" in duration "25 sec"', "internal/configuration/settings/wireguard.go + time"),
    ("MTU not a number", {"WIREGUARD_MTU": "abc"}, ALL,
     'reading VPN settings: wireguard: environment variable WIREGUARD_MTU: strconv.ParseUint: parsing "abc": '
     "invalid syntax", "internal/configuration/settings/wireguard.go + gosettings parse"),
    ("MTU over uint16 (uint32 on master)", {"WIREGUARD_MTU": "70000"}, ALL,
     msg("reading VPN settings: wireguard: environment variable WIREGUARD_MTU: value is not in range: "
         "70000 is not between 0 and 65535", latest=VALID),
     "internal/configuration/settings/wireguard.go"),
    # wireguardselection.go
    ("custom needs an endpoint IP", {"WIREGUARD_ENDPOINT_IP": None}, ALL,
     WGSEL + "endpoint IP is not set", "internal/configuration/settings/wireguardselection.go"),
    ("endpoint IP must be an IP", {"WIREGUARD_ENDPOINT_IP": "vpn.example.com"}, ALL,
     msg('reading VPN settings: VPN provider: server selection: environment variable WIREGUARD_ENDPOINT_IP: '
         'ParseAddr("vpn.example.com"): unexpected character (at "vpn.example.com")',
         v341='reading VPN settings: VPN provider: server selection: environment variable WIREGUARD_ENDPOINT_IP: '
         'ParseAddr("vpn.example.com"): unexpected character (at "vpn.example.com") - note this MUST be an '
         "IP address, see https://github.com/qdm12/gluetun/issues/788"),
     "internal/configuration/settings/wireguardselection.go"),
    ("custom needs an endpoint port", {"WIREGUARD_ENDPOINT_PORT": None}, ALL,
     WGSEL + "endpoint port is not set", "internal/configuration/settings/wireguardselection.go"),
    ("endpoint port over 65535", {"WIREGUARD_ENDPOINT_PORT": "70000"}, ALL,
     "reading VPN settings: VPN provider: server selection: environment variable WIREGUARD_ENDPOINT_PORT: "
     "value is not in range: 70000 is not between 0 and 65535",
     "internal/configuration/settings/wireguardselection.go"),
    ("nordvpn forbids an endpoint port", {"VPN_SERVICE_PROVIDER": "nordvpn", **NO_WG_PEER,
                                          "WIREGUARD_ENDPOINT_PORT": "51820"}, ALL,
     WGSEL + "endpoint port is set", "internal/configuration/settings/wireguardselection.go"),
    ("airvpn endpoint ports", {"VPN_SERVICE_PROVIDER": "airvpn", **NO_WG_PEER, "WIREGUARD_ENDPOINT_PORT": "1234"},
     ALL, WGSEL + "endpoint port is not allowed: for VPN service provider airvpn: value is not one of the "
     "possible choices: 1234 must be one of 1637 or 47107", "internal/configuration/settings/wireguardselection.go"),
    ("windscribe endpoint ports", {"VPN_SERVICE_PROVIDER": "windscribe", **NO_WG_PEER,
                                   "WIREGUARD_ENDPOINT_PORT": "1234"}, ALL,
     WGSEL + "endpoint port is not allowed: for VPN service provider windscribe: value is not one of the "
     "possible choices: 1234 must be one of 53, 80, 123, 443, 1194 or 65142",
     "internal/configuration/settings/wireguardselection.go"),
    ("ivpn endpoint ports", {"VPN_SERVICE_PROVIDER": "ivpn", **NO_WG_PEER, "WIREGUARD_ENDPOINT_PORT": "1234"}, ALL,
     WGSEL + "endpoint port is not allowed: for VPN service provider ivpn: value is not one of the possible "
     "choices: 1234 must be one of 2049, 2050, 53, 30587, 41893, 48574 or 58237",
     "internal/configuration/settings/wireguardselection.go"),
    ("custom needs a public key", {"WIREGUARD_PUBLIC_KEY": None}, ALL,
     WGSEL + "public key is not set", "internal/configuration/settings/wireguardselection.go"),
    ("public key not valid", {"WIREGUARD_PUBLIC_KEY": "abc"}, ALL,
     WGSEL + "public key is not valid: abc: wgtypes: failed to parse base64-encoded key: "
     "illegal base64 data at input byte 0", "internal/configuration/settings/wireguardselection.go"),
    ("selection checked before wireguard settings", {"WIREGUARD_ENDPOINT_IP": None, "WIREGUARD_PRIVATE_KEY": None},
     ALL, WGSEL + "endpoint IP is not set", "internal/configuration/settings/vpn.go (order)"),
    # portforward.go
    ("port forwarding with custom", {"VPN_PORT_FORWARDING": "on"}, ALL,
     msg(PF + "port forwarding cannot be enabled: value is not one of the possible choices: custom must be one "
         "of perfect privacy, private internet access, privatevpn or protonvpn",
         v339=PF + "port forwarding cannot be enabled: value is not one of the possible choices: custom must be "
         "one of perfect privacy, private internet access or protonvpn"),
     "internal/configuration/settings/portforward.go"),
    ("port forwarding provider override", {"VPN_PORT_FORWARDING": "on",
                                           "VPN_PORT_FORWARDING_PROVIDER": "ProtonVPN"}, ALL,
     VALID, "internal/configuration/settings/portforward.go"),
    ("PIA port forwarding needs a user", {"VPN_PORT_FORWARDING": "on",
                                          "VPN_PORT_FORWARDING_PROVIDER": "private internet access"}, ALL,
     PF + "port forwarding username is empty", "internal/configuration/settings/portforward.go"),
    ("PIA port forwarding needs a password", {"VPN_PORT_FORWARDING": "on", "VPN_PORT_FORWARDING_USERNAME": "u",
                                              "VPN_PORT_FORWARDING_PROVIDER": "private internet access"}, ALL,
     PF + "port forwarding password is empty", "internal/configuration/settings/portforward.go"),
    ("port forwarding not a boolean", {"VPN_PORT_FORWARDING": "maybe"}, ALL,
     "reading VPN settings: VPN provider: port forwarding: environment variable VPN_PORT_FORWARDING: "
     f"value is not one of the possible choices: maybe must be one of {BOOL_CHOICES}",
     "internal/configuration/settings/portforward.go + gosettings parseBool"),
    ("retro key wins over the image's VPN_PORT_FORWARDING=off", {"PORT_FORWARDING": "1"}, ALL,
     "reading VPN settings: VPN provider: port forwarding: environment variable VPN_PORT_FORWARDING: "
     f"value is not one of the possible choices: 1 must be one of {BOOL_CHOICES}",
     "internal/configuration/settings/portforward.go + gosettings get.go (retro keys first)"),
    ("master: ProtonVPN ports count", {"VPN_PORT_FORWARDING": "on", "VPN_PORT_FORWARDING_PROVIDER": "protonvpn",
                                       "VPN_PORT_FORWARDING_PORTS_COUNT": "5"}, ("latest",),
     PF + "ports count too high: 5 > 4", "internal/configuration/settings/portforward.go (master)"),
    ("master: listening ports vs ports count", {"VPN_PORT_FORWARDING": "on",
                                                "VPN_PORT_FORWARDING_PROVIDER": "protonvpn",
                                                "VPN_PORT_FORWARDING_LISTENING_PORTS": "8080,8081"}, ("latest",),
     PF + "listening ports length must be equal to ports count: 2 != 1",
     "internal/configuration/settings/portforward.go (master)"),
    # serverselection.go + storage/choices.go
    ("custom has no countries", {"SERVER_COUNTRIES": "Netherlands"}, ALL,
     SEL + f"for VPN service provider custom: the country specified is not valid: {NO_CHOICE}",
     "internal/configuration/settings/serverselection.go + internal/storage/choices.go"),
    ("custom has no regions", {"SERVER_REGIONS": "Europe"}, ALL,
     SEL + f"for VPN service provider custom: the region specified is not valid: {NO_CHOICE}",
     "internal/configuration/settings/serverselection.go"),
    ("custom has no cities", {"CITY": "Amsterdam"}, ALL,
     SEL + f"for VPN service provider custom: the city specified is not valid: {NO_CHOICE}",
     "internal/configuration/settings/serverselection.go"),
    ("custom has no hostnames", {"SERVER_HOSTNAMES": "nl1.example.com"}, ALL,
     SEL + f"for VPN service provider custom: the hostname specified is not valid: {NO_CHOICE}",
     "internal/configuration/settings/serverselection.go"),
    ("custom takes one server name", {"SERVER_NAMES": "a,b"}, ALL,
     msg(SEL + "for VPN service provider custom: the server name specified is not valid: 2 names specified "
         "instead of 0 or 1 for the custom provider",
         latest=SEL + "for VPN service provider custom: name is not valid: 2 names specified instead of 0 or 1 "
         "for the custom provider"),
     "internal/configuration/settings/serverselection.go"),
    ("custom with one server name", {"SERVER_NAMES": "lab"}, ALL, VALID,
     "internal/configuration/settings/serverselection.go"),
    ("free only filter", {"FREE_ONLY": "on"}, ALL,
     SEL + "for VPN service provider custom: free only filter is not supported",
     "internal/configuration/settings/serverselection.go"),
    ("owned only filter (retro OWNED)", {"OWNED": "yes"}, ALL,
     SEL + "for VPN service provider custom: owned only filter is not supported",
     "internal/configuration/settings/serverselection.go"),
    ("port forward only filter", {"PORT_FORWARD_ONLY": "true"}, ALL,
     SEL + "for VPN service provider custom: port forwarding only filter is not supported",
     "internal/configuration/settings/serverselection.go"),
    # server.go, publicip.go, dns.go, dot.go, health.go, system.go, firewall.go
    ("control server log not a boolean", {"HTTP_CONTROL_SERVER_LOG": "loud"}, ALL,
     "reading control server settings: environment variable HTTP_CONTROL_SERVER_LOG: value is not one of "
     f"the possible choices: loud must be one of {BOOL_CHOICES}", "internal/configuration/settings/server.go"),
    ("control server address without port", {"HTTP_CONTROL_SERVER_ADDRESS": "8000"}, ALL,
     "control server settings: listening address is not valid: address 8000: missing port in address",
     "internal/configuration/settings/server.go + net.SplitHostPort"),
    ("public IP enabled takes no 1", {"PUBLICIP_ENABLED": "1"}, ALL,
     "reading public ip settings: environment variable PUBLICIP_ENABLED: value is not one of the possible "
     f"choices: 1 must be one of {BOOL_CHOICES}", "internal/configuration/settings/publicip.go"),
    ("DNS_SERVER (not read before v3.41)", {"DNS_SERVER": "maybe"}, ALL,
     msg(VALID, v341="reading DNS settings: environment variable DNS_SERVER: value is not one of the possible "
         f"choices: maybe must be one of {BOOL_CHOICES}"), "internal/configuration/settings/dns.go"),
    ("DOT", {"DOT": "maybe"}, ALL,
     msg("reading DNS settings: DNS over TLS settings: environment variable DOT: value is not one of the "
         f"possible choices: maybe must be one of {BOOL_CHOICES}",
         v341="reading DNS settings: environment variable DNS_SERVER: value is not one of the possible "
         f"choices: maybe must be one of {BOOL_CHOICES}"),
     "internal/configuration/settings/dot.go (v3.40) / dns.go (retro DOT)"),
    ("DNS update period too short", {"DNS_UPDATE_PERIOD": "10s"}, ALL,
     msg("dns settings: validating DoT settings: update period is too short: 10s must be bigger than 30s",
         v341="dns settings: update period is too short: 10s must be bigger than 30s"),
     "internal/configuration/settings/dot.go / dns.go"),
    ("DNS upstream type", {"DNS_UPSTREAM_RESOLVER_TYPE": "udp"}, ("v3.41", "latest"),
     "dns settings: DNS upstream type is not valid: udp", "internal/configuration/settings/dns.go"),
    ("master: DNS off needs plain", {"DNS_SERVER": "off", "DNS_UPSTREAM_RESOLVER_TYPE": "dot"}, ("latest",),
     "dns settings: upstream type dot must be plain if the built-in DNS server is disabled",
     "internal/configuration/settings/dns.go (master)"),
    ("master: DNS off needs port 53", {"DNS_SERVER": "off", "DNS_UPSTREAM_PLAIN_ADDRESSES": "10.222.0.53:5353"},
     ("latest",), "dns settings: invalid DNS port in 10.222.0.53:5353: must be 53",
     "internal/configuration/settings/dns.go (master)"),
    ("master: plain address needs a port", {"DNS_UPSTREAM_PLAIN_ADDRESSES": "10.222.0.53"}, ("latest",),
     "reading DNS settings: environment variable DNS_UPSTREAM_PLAIN_ADDRESSES: not an ip:port",
     "internal/configuration/settings/dns.go (master) + netip.ParseAddrPort"),
    ("health server address without port", {"HEALTH_SERVER_ADDRESS": "127.0.0.1"}, ALL,
     "health settings: server listening address is not valid: splitting host and port: address 127.0.0.1: "
     "missing port in address", "internal/configuration/settings/health.go + gosettings ListeningAddress"),
    ("health small check type", {"HEALTH_SMALL_CHECK_TYPE": "tcp"}, ALL,
     msg(VALID, v341="health settings: small check type is not valid: value is not one of the possible choices: "
         "tcp must be one of icmp or dns"), "internal/configuration/settings/health.go"),
    ("health ICMP target IP", {"HEALTH_ICMP_TARGET_IPS": "1.1.1"}, ("v3.41", "latest"),
     'reading health settings: environment variable HEALTH_ICMP_TARGET_IPS: ParseAddr("1.1.1"): '
     "IPv4 address too short", "internal/configuration/settings/health.go"),
    ("health ICMP unspecified with others", {"HEALTH_ICMP_TARGET_IPS": "0.0.0.0,1.1.1.1"}, ("v3.41", "latest"),
     "health settings: ICMP target IP addresses are not compatible: only a single IP address must be set if "
     "it is to be unspecified", "internal/configuration/settings/health.go"),
    ("health restart VPN", {"HEALTH_RESTART_VPN": "sometimes"}, ("v3.41", "latest"),
     "reading health settings: environment variable HEALTH_RESTART_VPN: value is not one of the possible "
     f"choices: sometimes must be one of {BOOL_CHOICES}", "internal/configuration/settings/health.go"),
    ("PUID negative", {"PUID": "-1"}, ALL,
     'reading system settings: environment variable PUID: strconv.ParseUint: parsing "-1": invalid syntax',
     "internal/configuration/settings/system.go"),
    ("outbound subnet everything", {"FIREWALL_OUTBOUND_SUBNETS": "192.168.1.0/24,0.0.0.0/0"}, ALL,
     "firewall settings: outbound subnet has an unspecified address: 0.0.0.0/0",
     "internal/configuration/settings/firewall.go"),
    ("outbound subnet without bits", {"FIREWALL_OUTBOUND_SUBNETS": "192.168.1.0"}, ALL,
     "reading firewall settings: environment variable FIREWALL_OUTBOUND_SUBNETS: "
     "netip.ParsePrefix(\"192.168.1.0\"): no '/'", "internal/configuration/settings/firewall.go"),
    ("retro EXTRA_SUBNETS", {"EXTRA_SUBNETS": "10.0.0.0/33"}, ALL,
     "reading firewall settings: environment variable FIREWALL_OUTBOUND_SUBNETS: "
     'netip.ParsePrefix("10.0.0.0/33"): prefix length out of range', "internal/configuration/settings/firewall.go"),
    ("outbound subnet with a space after the comma", {"FIREWALL_OUTBOUND_SUBNETS": "10.0.0.0/8, 192.168.0.0/16"},
     ALL, "reading firewall settings: environment variable FIREWALL_OUTBOUND_SUBNETS: "
     'netip.ParsePrefix(" 192.168.0.0/16"): ParseAddr(" 192.168.0.0"): unexpected character (at " 192.168.0.0")',
     "internal/configuration/settings/firewall.go + gosettings CSVParse"),
    ("input port zero", {"FIREWALL_INPUT_PORTS": "8080,0"}, ALL,
     "firewall settings: input ports: cannot have a zero port", "internal/configuration/settings/firewall.go"),
    ("VPN input port not a number", {"FIREWALL_VPN_INPUT_PORTS": "abc"}, ALL,
     'reading firewall settings: environment variable FIREWALL_VPN_INPUT_PORTS: strconv.ParseUint: parsing "abc": '
     "invalid syntax", "internal/configuration/settings/firewall.go"),
    ("master: iptables log level", {"FIREWALL_IPTABLES_LOG_LEVEL": "loud"}, ("latest",),
     "firewall settings: iptables settings: log level: level is not recognized: loud",
     "internal/configuration/settings/iptables.go (master)"),
    # openvpn.go + openvpnselection.go
    ("custom OpenVPN needs a config file", {"VPN_TYPE": "openvpn"}, ALL,
     OV + "custom configuration file: filepath is missing", "internal/configuration/settings/openvpn.go"),
    ("custom OpenVPN config file must exist", {"VPN_TYPE": "openvpn", "OPENVPN_CUSTOM_CONFIG": "/nonexistent/x.ovpn"},
     ALL, OVSEL + "configuration file: file does not exist: /nonexistent/x.ovpn",
     "internal/configuration/settings/openvpnselection.go"),
    ("OpenVPN protocol", {"VPN_TYPE": "openvpn", "OPENVPN_PROTOCOL": "QUIC"}, ALL,
     OVSEL + "network protocol: value is not one of the possible choices: quic must be one of udp or tcp",
     "internal/configuration/settings/openvpnselection.go"),
    ("PIA password", {**PIA_OVPN, "OPENVPN_PASSWORD": None}, ALL,
     OV + "password is empty", "internal/configuration/settings/openvpn.go"),
    ("IVPN account ID needs no password", {**PIA_OVPN, "VPN_SERVICE_PROVIDER": "ivpn",
                                           "OPENVPN_USER": "i-ab12-cd34-ef56", "OPENVPN_PASSWORD": None}, ALL,
     VALID, "internal/configuration/settings/openvpn.go (ivpnAccountID)"),
    ("IVPN user needs a password", {**PIA_OVPN, "VPN_SERVICE_PROVIDER": "ivpn", "OPENVPN_PASSWORD": None}, ALL,
     OV + "password is empty", "internal/configuration/settings/openvpn.go"),
    ("cyberghost client certificate", {**PIA_OVPN, "VPN_SERVICE_PROVIDER": "cyberghost"}, ALL,
     OV + "client certificate: missing value", "internal/configuration/settings/openvpn.go"),
    ("cyberghost client key", {**PIA_OVPN, "VPN_SERVICE_PROVIDER": "cyberghost", "OPENVPN_CERT": KEY_A}, ALL,
     OV + "client key: missing value", "internal/configuration/settings/openvpn.go"),
    ("client certificate not base64", {**PIA_OVPN, "VPN_SERVICE_PROVIDER": "cyberghost",
                                       "OPENVPN_CERT": "MIIB*bad"}, ALL,
     OV + "client certificate: illegal base64 data at input byte 4", "internal/configuration/settings/openvpn.go"),
    ("vpnsecure encrypted key", {**PIA_OVPN, "VPN_SERVICE_PROVIDER": "vpnsecure", "OPENVPN_CERT": KEY_A}, ALL,
     OV + "encrypted key: missing value", "internal/configuration/settings/openvpn.go"),
    ("vpnsecure key passphrase", {**PIA_OVPN, "VPN_SERVICE_PROVIDER": "vpnsecure", "OPENVPN_CERT": KEY_A,
                                  "OPENVPN_ENCRYPTED_KEY": KEY_B}, ALL,
     OV + "key passphrase is empty", "internal/configuration/settings/openvpn.go"),
    ("PIA OpenVPN endpoint ports", {**PIA_OVPN, "OPENVPN_ENDPOINT_PORT": "1234"}, ALL,
     OVSEL + "custom endpoint port is not allowed: for VPN service provider private internet access: value is "
     "not one of the possible choices: 1234 must be one of 53, 1194, 1197, 1198, 8080 or 9201",
     "internal/configuration/settings/openvpnselection.go"),
    ("nordvpn OpenVPN endpoint port", {**PIA_OVPN, "VPN_SERVICE_PROVIDER": "nordvpn", "OPENVPN_PORT": "1194"}, ALL,
     OVSEL + "custom endpoint port is not allowed: for VPN service provider nordvpn",
     "internal/configuration/settings/openvpnselection.go"),
    ("ipvanish has no TCP", {**PIA_OVPN, "VPN_SERVICE_PROVIDER": "ipvanish", "OPENVPN_PROTOCOL": "tcp"}, ALL,
     OVSEL + "TCP protocol is not supported: for VPN service provider ipvanish",
     "internal/configuration/settings/openvpnselection.go"),
    ("OpenVPN version", {**PIA_OVPN, "OPENVPN_VERSION": "2.4"}, ALL,
     OV + "version is not valid: value is not one of the possible choices: 2.4 must be one of 2.5 or 2.6",
     "internal/configuration/settings/openvpn.go"),
    # master amneziawg.go
    ("master: AmneziaWG private key", {"VPN_TYPE": "amneziawg", "AMNEZIAWG_PUBLIC_KEY": KEY_B,
                                       "AMNEZIAWG_ENDPOINT_IP": "10.222.0.3", "AMNEZIAWG_ENDPOINT_PORT": "51820"},
     ("latest",), "VPN settings: AmneziaWG settings: wireguard settings: private key is not set",
     "internal/configuration/settings/amneziawg.go (master)"),
    ("master: AmneziaWG is custom only", {"VPN_TYPE": "amneziawg", "VPN_SERVICE_PROVIDER": "mullvad"}, ("latest",),
     "VPN settings: provider settings: VPN provider name is not valid for amneziawg: value is not one of the "
     "possible choices: mullvad must be one of custom", "internal/configuration/settings/provider.go (master)"),
    # the lab's own image env is valid everywhere
    ("lab gateway env", {}, ALL, VALID, "all"),
    ("quotes and spaces trimmed", {"WIREGUARD_PRIVATE_KEY": f" '{KEY_A}' ", "VPN_TYPE": '"WireGuard"'}, ALL, VALID,
     "gosettings internal/parse/get.go postProcessValue"),
    ("image defaults with PIA credentials", {**PIA_OVPN, "VPN_SERVICE_PROVIDER": "pia"}, ALL, VALID,
     "internal/configuration/settings/provider.go (pia retro name)"),
]


def run(env_changes, gen, secrets_dir="/nonexistent-secrets", files_dir="/nonexistent-files"):
    env = dict(IMAGE_ENV)
    env.update(CUSTOM_WG)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    try:
        gs.load(env, gen, ipv6_supported=False, uid=0, secrets_dir=secrets_dir, files_dir=files_dir)
    except gs.SettingsError as err:
        return str(err)
    return VALID


class GluetunSettingsTable(unittest.TestCase):
    def test_table(self):
        self.assertGreaterEqual(len(CASES), 35)
        for name, changes, gens, expected, upstream in CASES:
            for gen in gens:
                want = expected[gen] if isinstance(expected, dict) else expected
                with self.subTest(case=name, generation=gen, upstream=upstream):
                    got = run(changes, gen)
                    if want is VALID:
                        self.assertIs(got, VALID, f"expected valid, got error: {got}")
                    else:
                        self.assertEqual(got, want)


class Sources(unittest.TestCase):
    """internal/configuration/sources/secrets/reader.go and files/reader.go."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.secrets = os.path.join(self.tmp.name, "secrets")
        self.files = os.path.join(self.tmp.name, "gluetun")
        os.makedirs(self.secrets)
        os.makedirs(os.path.join(self.files, "wireguard"))

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, path, text):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)

    def test_secret_file_wins_over_env(self):
        self.write(os.path.join(self.secrets, "wireguard_private_key"), "not-a-key\n")
        got = run({}, "v3.41", self.secrets, self.files)
        self.assertEqual(got, WG + "private key is not valid: wgtypes: failed to parse base64-encoded key: "
                         "illegal base64 data at input byte 3")

    def test_secretfile_env_overrides_path(self):
        path = os.path.join(self.tmp.name, "pk")
        self.write(path, KEY_16)
        got = run({"WIREGUARD_PRIVATE_KEY": None, "WIREGUARD_PRIVATE_KEY_SECRETFILE": path}, "latest",
                  self.secrets, self.files)
        self.assertEqual(got, WG + "private key is not valid: wgtypes: incorrect key size: 16")

    def test_secret_file_error_names_the_source(self):
        self.write(os.path.join(self.secrets, "vpn_port_forwarding"), "maybe\n")
        got = run({}, "v3.40", self.secrets, self.files)
        self.assertEqual(got, "reading VPN settings: VPN provider: port forwarding: secret files "
                         f"vpn_port_forwarding: value is not one of the possible choices: maybe must be one of "
                         f"{BOOL_CHOICES}")

    def test_wg0_conf_secret(self):
        self.write(os.path.join(self.secrets, "wg0.conf"),
                   f"[Interface]\nPrivateKey = {KEY_A}\nAddress = 10.66.66.2/32\n\n"
                   f"[Peer]\nPublicKey = {KEY_B}\nEndpoint = 10.222.0.3:51820\n")
        got = run({key: None for key in CUSTOM_WG if key.startswith("WIREGUARD_")}, "v3.41",
                  self.secrets, self.files)
        self.assertIs(got, VALID)

    def test_files_source_wg0_conf(self):
        self.write(os.path.join(self.files, "wireguard", "wg0.conf"),
                   f"[Interface]\nPrivateKey = {KEY_A}\nAddress = fc00::2/128\n")
        got = run({"WIREGUARD_PRIVATE_KEY": None, "WIREGUARD_ADDRESSES": None}, "v3.40", self.secrets, self.files)
        self.assertEqual(got, WG + "interface address is IPv6 but IPv6 is not supported: address fc00::2/128")

    def test_environ_not_modified(self):
        env = dict(IMAGE_ENV, **CUSTOM_WG)
        before = dict(env)
        gs.load(env, "latest", ipv6_supported=False, uid=0, secrets_dir=self.secrets, files_dir=self.files)
        self.assertEqual(env, before)

    def test_ipv6_supported_accepts_ipv6_address(self):
        env = dict(IMAGE_ENV, **CUSTOM_WG)
        env["WIREGUARD_ADDRESSES"] = "10.66.66.2/32,fc00::2/128"
        gs.load(env, "v3.40", ipv6_supported=True, uid=0, secrets_dir=self.secrets, files_dir=self.files)


class GoHelpers(unittest.TestCase):
    """Go standard library behaviours the messages depend on."""

    def test_base64_offsets(self):
        # encoding/base64 decodeQuantum
        cases = {"abc": 0, "ab=c": 2, "a===": 1, "abcd!": 4, "ab==cd": 4, "abc=x": 4}
        for text, offset in cases.items():
            with self.subTest(text=text):
                with self.assertRaises(gs.GoError) as ctx:
                    gs.go_base64_decode(text)
                self.assertEqual(str(ctx.exception), f"illegal base64 data at input byte {offset}")
        self.assertEqual(gs.go_base64_decode(KEY_A), bytes(range(32)))
        self.assertEqual(gs.go_base64_decode("YQ==\n"), b"a")

    def test_duration_round_trip(self):
        # time.ParseDuration / Duration.String
        for text, shown in {"25s": "25s", "1m30s": "1m30s", "90s": "1m30s", "1.5h": "1h30m0s",
                            "500ms": "500ms", "-5s": "-5s", "2h": "2h0m0s", "1us": "1\u00b5s", "0": "0s"}.items():
            with self.subTest(text=text):
                self.assertEqual(gs.go_duration_string(gs.go_parse_duration(text)), shown)
        for text, error in {"": 'time: invalid duration ""', "abc": 'time: invalid duration "abc"',
                            "5x": 'time: unknown unit "x" in duration "5x"', ".s": 'time: invalid duration ".s"'}.items():
            with self.subTest(text=text):
                with self.assertRaises(gs.GoError) as ctx:
                    gs.go_parse_duration(text)
                self.assertEqual(str(ctx.exception), error)

    def test_netip(self):
        self.assertEqual(str(gs.go_parse_prefix("FC00:0:0:0:0:0:0:2/128")), "fc00::2/128")
        self.assertEqual(str(gs.go_parse_addr("::ffff:1.2.3.4")), "::ffff:1.2.3.4")
        self.assertEqual(str(gs.go_parse_addr("1:0:2:0:0:3:0:0")), "1:0:2::3:0:0")
        for text, error in {
            "10.0.0.0/08": 'netip.ParsePrefix("10.0.0.0/08"): bad bits after slash: "08"',
            "010.0.0.0/8": 'netip.ParsePrefix("010.0.0.0/8"): ParseAddr("010.0.0.0"): '
                           "IPv4 field has octet with leading zero",
            "fe80::1%eth0/64": 'netip.ParsePrefix("fe80::1%eth0/64"): IPv6 zones cannot be present in a prefix',
        }.items():
            with self.subTest(text=text):
                with self.assertRaises(gs.GoError) as ctx:
                    gs.go_parse_prefix(text)
                self.assertEqual(str(ctx.exception), error)

    def test_split_host_port(self):
        for text, error in {"[::1]": "address [::1]: missing port in address",
                            "1::2:80": "address 1::2:80: too many colons in address",
                            "[::1:80": "address [::1:80: missing ']' in address"}.items():
            with self.subTest(text=text):
                with self.assertRaises(gs.GoError) as ctx:
                    gs.go_split_host_port(text)
                self.assertEqual(str(ctx.exception), error)



def _load_entrypoint():
    """The stand-in's script (no .py suffix), imported for its helpers."""
    import importlib.machinery
    import importlib.util
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gluetun-standin")
    loader = importlib.machinery.SourceFileLoader("gluetun_entrypoint", path)
    spec = importlib.util.spec_from_loader("gluetun_entrypoint", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


# What Docker writes for a container on a user-defined network (embedded DNS).
DOCKER_RESOLV = (
    "# Generated by Docker Engine.\n"
    "# This file can be edited; Docker Engine will not make further changes once it\n"
    "# has been modified.\n"
    "\n"
    "nameserver 127.0.0.11\n"
    "search lab.test\n"
    "options ndots:0\n"
    "\n"
    "# Based on host file: '/etc/resolv.conf' (internal resolver)\n"
)


class ResolvConf(unittest.TestCase):
    """nameserver.UseDNSSystemWide of github.com/qdm12/dns, called from
    gluetun's internal/dns/setup.go on /etc/resolv.conf (internal/dns/loop.go)."""

    @classmethod
    def setUpClass(cls):
        cls.patch = staticmethod(_load_entrypoint().use_dns_system_wide)

    def test_v2_patch_keeps_other_lines(self):
        # qdm12/dns v2 pkg/nameserver/system.go patchResolvFile (gluetun v3.40+).
        self.assertEqual(
            self.patch(DOCKER_RESOLV, "127.0.0.1", "latest"),
            "nameserver 127.0.0.1\n# Generated by Docker Engine.\n"
            "# This file can be edited; Docker Engine will not make further changes once it\n"
            "# has been modified.\n\nsearch lab.test\noptions ndots:0\n\n"
            "# Based on host file: '/etc/resolv.conf' (internal resolver)\n")
        self.assertEqual(self.patch("nameserver 1.1.1.1\nnameserver 8.8.8.8", "127.0.0.1", "v3.41"),
                         "nameserver 127.0.0.1")
        self.assertEqual(self.patch("options ndots:0\n\n\n", "127.0.0.1", "v3.40"),
                         "nameserver 127.0.0.1\noptions ndots:0\n")
        self.assertEqual(self.patch("", "127.0.0.1", "latest"), "nameserver 127.0.0.1\n")

    def test_v1_drops_empty_lines(self):
        # qdm12/dns v1.11.0 pkg/nameserver/nameserver.go UseDNSSystemWide (gluetun v3.39).
        self.assertEqual(
            self.patch(DOCKER_RESOLV, "127.0.0.1", "v3.39"),
            "nameserver 127.0.0.1\n# Generated by Docker Engine.\n"
            "# This file can be edited; Docker Engine will not make further changes once it\n"
            "# has been modified.\nsearch lab.test\noptions ndots:0\n"
            "# Based on host file: '/etc/resolv.conf' (internal resolver)\n")
        self.assertEqual(self.patch("nameserver 1.1.1.1", "127.0.0.1", "v3.39", keep_nameserver=True),
                         "nameserver 127.0.0.1\nnameserver 1.1.1.1\n")

if __name__ == "__main__":
    unittest.main()
