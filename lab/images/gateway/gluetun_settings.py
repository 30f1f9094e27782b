"""gluetun's start-up settings checks, for the lab's gluetun stand-in.

Real gluetun reads its settings (secret files, then /gluetun files, then the
environment), sets the defaults, parses LOG_LEVEL, finds out whether IPv6 is
supported and validates everything before it starts anything; a setting it
refuses ends the process with `<time> ERROR <message>`, `<time> INFO Shutdown
successful` and exit code 1.  This module does the same reading and checks for
the settings the stand-in reads (and their neighbours), per gluetun
generation, and raises SettingsError with gluetun's exact message.

    load(environ, generation) -> dict of the settings, or SettingsError

Generations (LAB_GLUETUN_VERSION, normalised by the entrypoint):
  v3.39   treated as v3.40, except: no privatevpn port forwarding, no giganews
  v3.40   gluetun v3.40.4
  v3.41   gluetun v3.41.1
  latest  gluetun master (b1193252)

The rules are written from gluetun's source (cmd/gluetun/main.go,
internal/configuration/settings/*.go, internal/configuration/sources/*,
internal/netlink/ipv6.go) and from the libraries that make its messages:
github.com/qdm12/gosettings v0.4.4 (reader, parse, validate),
github.com/qdm12/log v0.1.0, golang.zx2c4.com/wireguard/wgctrl/wgtypes and
the Go standard library (strconv, time, net, net/netip, encoding/base64).
Each rule names its upstream file in a comment.

Where real gluetun is not deterministic, this module picks one order: gluetun
reads and validates its settings sections by ranging over Go maps, so when
two sections are wrong at once, which error real gluetun prints is random.
Here sections go in the order of gluetun's source (see READ_ORDER and
VALIDATE_ORDER); with one wrong section the message is exact.
"""

import base64
import os
import re
import subprocess

GENERATIONS = ("v3.39", "v3.40", "v3.41", "latest")


class SettingsError(Exception):
    """A setting gluetun refuses at start-up; str() is gluetun's message."""


# --------------------------------------------------------------------------
# Go standard library messages.


def go_quote(s):
    """strconv.Quote (ASCII and printable Unicode; other runes escaped)."""
    out = ['"']
    escapes = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
    for ch in s:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in escapes:
            out.append(escapes[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\x%02x" % ord(ch))
        elif ord(ch) < 0x80 or ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x10000:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append("\\U%08x" % ord(ch))
    out.append('"')
    return "".join(out)


def time_quote(s):
    """The time package's own quote(): non-ASCII and control bytes as \\xNN."""
    out = ['"']
    for ch in s:
        if ord(ch) >= 0x80 or ch < " ":
            out.extend("\\x%02x" % b for b in ch.encode("utf-8", "surrogateescape"))
        else:
            if ch in ('"', "\\"):
                out.append("\\")
            out.append(ch)
    out.append('"')
    return "".join(out)


class GoError(Exception):
    pass


def _num_error(func, s, range_error):
    # strconv.NumError.Error()
    return GoError(f"strconv.{func}: parsing {go_quote(s)}: " + ("value out of range" if range_error else "invalid syntax"))


def go_parse_uint(s, bit_size=64, func="ParseUint"):
    """strconv.ParseUint(s, 10, bit_size)."""
    if s == "":
        raise _num_error(func, s, False)
    max_val = (1 << bit_size) - 1
    n = 0
    for ch in s:
        if not "0" <= ch <= "9":
            raise _num_error(func, s, False)
        n = n * 10 + (ord(ch) - 48)
        if n > max_val:
            raise _num_error(func, s, True)
    return n


def go_parse_int(s, bit_size=64, func="ParseInt"):
    """strconv.ParseInt(s, 10, bit_size)."""
    if s == "":
        raise _num_error(func, s, False)
    body, neg = s, False
    if s[0] in "+-":
        neg = s[0] == "-"
        body = s[1:]
    try:
        un = go_parse_uint(body, 64, func)
    except GoError as err:
        if "out of range" in str(err):
            raise _num_error(func, s, True) from None
        raise _num_error(func, s, False) from None
    cutoff = 1 << (bit_size - 1)
    if not neg and un >= cutoff or neg and un > cutoff:
        raise _num_error(func, s, True)
    return -un if neg else un


def go_atoi(s):
    """strconv.Atoi: errors name Atoi."""
    return go_parse_int(s, 64, "Atoi")


_UNITS_NS = {"ns": 1, "us": 1000, "\u00b5s": 1000, "\u03bcs": 1000, "ms": 1_000_000,
             "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}


def go_parse_duration(orig):
    """time.ParseDuration, returning nanoseconds."""
    s = orig
    d, neg = 0, False
    if s and s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    invalid = GoError("time: invalid duration " + time_quote(orig))
    if s == "":
        raise invalid
    while s:
        if not (s[0] == "." or "0" <= s[0] <= "9"):
            raise invalid
        i = 0
        v = 0
        while i < len(s) and "0" <= s[i] <= "9":
            v = v * 10 + ord(s[i]) - 48
            if v > 1 << 63:
                raise invalid
            i += 1
        pre = i > 0
        s = s[i:]
        f, scale, post = 0, 1.0, False
        if s and s[0] == ".":
            s = s[1:]
            i = 0
            overflow = False
            while i < len(s) and "0" <= s[i] <= "9":
                if not overflow:
                    if f > ((1 << 63) - 1) // 10:
                        overflow = True
                    else:
                        f = f * 10 + ord(s[i]) - 48
                        scale *= 10
                i += 1
            post = i > 0
            s = s[i:]
        if not pre and not post:
            raise invalid
        i = 0
        while i < len(s) and not (s[i] == "." or "0" <= s[i] <= "9"):
            i += 1
        if i == 0:
            raise GoError("time: missing unit in duration " + time_quote(orig))
        u, s = s[:i], s[i:]
        if u not in _UNITS_NS:
            raise GoError("time: unknown unit " + time_quote(u) + " in duration " + time_quote(orig))
        unit = _UNITS_NS[u]
        if v > (1 << 63) // unit:
            raise invalid
        v *= unit
        if f > 0:
            v += int(float(f) * (float(unit) / scale))
            if v > 1 << 63:
                raise invalid
        d += v
        if d > 1 << 63:
            raise invalid
    if neg:
        return -d
    if d > (1 << 63) - 1:
        raise invalid
    return d


def go_duration_string(ns):
    """time.Duration.String."""
    if ns == 0:
        return "0s"
    neg, u = ns < 0, abs(ns)

    def frac(v, prec):
        whole, digits = divmod(v, 10 ** prec)
        text = str(digits).rjust(prec, "0").rstrip("0")
        return whole, ("." + text if text else "")

    if u < 1_000_000_000:
        if u < 1000:
            text = f"{u}ns"
        elif u < 1_000_000:
            whole, f = frac(u, 3)
            text = f"{whole}{f}\u00b5s"
        else:
            whole, f = frac(u, 6)
            text = f"{whole}{f}ms"
    else:
        secs, f = frac(u, 9)
        text = f"{secs % 60}{f}s"
        minutes = secs // 60
        if minutes > 0:
            text = f"{minutes % 60}m" + text
            hours = minutes // 60
            if hours > 0:
                text = f"{hours}h" + text
    return "-" + text if neg else text


def go_base64_decode(s):
    """encoding/base64 StdEncoding.DecodeString: bytes, or GoError with Go's byte offset."""
    src = s.encode("utf-8", "surrogateescape")
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    decode_map = {c: i for i, c in enumerate(alphabet)}
    out = bytearray()
    si = 0

    def corrupt(offset):
        return GoError(f"illegal base64 data at input byte {offset}")

    while si < len(src):
        # decodeQuantum
        dbuf = [0, 0, 0, 0]
        dlen = 4
        j = 0
        trailing = None
        while j < 4:
            if len(src) == si:
                if j == 0:
                    return bytes(out)
                raise corrupt(si - j)  # padding required (j == 1 or padded encoding)
            c = src[si]
            si += 1
            if c in decode_map:
                dbuf[j] = decode_map[c]
                j += 1
                continue
            if c in (0x0A, 0x0D):
                continue
            if c != 0x3D:  # '='
                raise corrupt(si - 1)
            if j in (0, 1):
                raise corrupt(si - 1)
            if j == 2:
                while si < len(src) and src[si] in (0x0A, 0x0D):
                    si += 1
                if si == len(src):
                    raise corrupt(len(src))
                if src[si] != 0x3D:
                    raise corrupt(si - 1)
                si += 1
            while si < len(src) and src[si] in (0x0A, 0x0D):
                si += 1
            if si < len(src):
                trailing = corrupt(si)
            dlen = j
            break
        val = dbuf[0] << 18 | dbuf[1] << 12 | dbuf[2] << 6 | dbuf[3]
        chunk = bytes([(val >> 16) & 0xFF, (val >> 8) & 0xFF, val & 0xFF])
        out.extend(chunk[: dlen - 1])
        if trailing is not None:
            raise trailing
    return bytes(out)


def wg_parse_key(s):
    """wgtypes.ParseKey (wgctrl 925a1e7): returns None or the error text."""
    try:
        key = go_base64_decode(s)
    except GoError as err:
        return f"wgtypes: failed to parse base64-encoded key: {err}"
    if len(key) != 32:
        return f"wgtypes: incorrect key size: {len(key)}"
    return None


class GoAddr:
    """A net/netip.Addr: version 4 or 6, integer value, IPv6 zone."""

    def __init__(self, version, value, zone=""):
        self.version, self.value, self.zone = version, value, zone

    def is4(self):
        return self.version == 4

    def is6(self):
        return self.version == 6

    def is_unspecified(self):
        return self.value == 0 and not self.zone

    def is_loopback(self):
        if self.is4in6():
            return (self.value >> 24) & 0xFF == 127
        return (self.value >> 24) == 127 if self.version == 4 else self.value == 1

    def is4in6(self):
        return self.version == 6 and (self.value >> 32) == 0xFFFF

    def __str__(self):
        if self.version == 4:
            return ".".join(str((self.value >> s) & 0xFF) for s in (24, 16, 8, 0))
        zone = "%" + self.zone if self.zone else ""
        if self.is4in6():
            return "::ffff:" + str(GoAddr(4, self.value & 0xFFFFFFFF)) + zone
        groups = [(self.value >> (112 - 16 * i)) & 0xFFFF for i in range(8)]
        best_start, best_len, i = -1, 0, 0
        while i < 8:
            if groups[i] == 0:
                j = i
                while j < 8 and groups[j] == 0:
                    j += 1
                if j - i > best_len and j - i > 1:
                    best_start, best_len = i, j - i
                i = j
            else:
                i += 1
        if best_start < 0:
            text = ":".join("%x" % g for g in groups)
        else:
            head = ":".join("%x" % g for g in groups[:best_start])
            tail = ":".join("%x" % g for g in groups[best_start + best_len:])
            text = head + "::" + tail
        return text + zone


def _addr_error(s, msg, at=""):
    # netip.parseAddrError.Error()
    text = f"ParseAddr({go_quote(s)}): {msg}"
    if at:
        text += f" (at {go_quote(at)})"
    return GoError(text)


def _parse_ipv4(s):
    fields, val, pos, dig_len = [], 0, 0, 0
    for i, ch in enumerate(s):
        if "0" <= ch <= "9":
            if dig_len == 1 and val == 0:
                raise _addr_error(s, "IPv4 field has octet with leading zero")
            val = val * 10 + ord(ch) - 48
            dig_len += 1
            if val > 255:
                raise _addr_error(s, "IPv4 field has value >255")
        elif ch == ".":
            if i == 0 or i == len(s) - 1 or s[i - 1] == ".":
                raise _addr_error(s, "IPv4 field must have at least one digit", s[i:])
            if pos == 3:
                raise _addr_error(s, "IPv4 address too long")
            fields.append(val)
            pos += 1
            val, dig_len = 0, 0
        else:
            raise _addr_error(s, "unexpected character", s[i:])
    if pos < 3:
        raise _addr_error(s, "IPv4 address too short")
    fields.append(val)
    return GoAddr(4, fields[0] << 24 | fields[1] << 16 | fields[2] << 8 | fields[3])


def _parse_ipv6(in_):
    s, zone = in_, ""
    if "%" in s:
        s, zone = s[: s.index("%")], s[s.index("%") + 1:]
        if zone == "":
            raise _addr_error(in_, "zone must be a non-empty string")
    ip = [0] * 16
    ellipsis = -1
    if len(s) >= 2 and s[0] == ":" and s[1] == ":":
        ellipsis = 0
        s = s[2:]
        if len(s) == 0:
            return GoAddr(6, 0, zone)
    i = 0
    while i < 16:
        off, acc = 0, 0
        while off < len(s):
            c = s[off]
            if "0" <= c <= "9" or "a" <= c <= "f" or "A" <= c <= "F":
                acc = (acc << 4) + int(c, 16)
            else:
                break
            if acc > 0xFFFF:
                raise _addr_error(in_, "IPv6 field has value >=2^16", s)
            off += 1
        if off == 0:
            raise _addr_error(in_, "each colon-separated field must have at least one digit", s)
        if off < len(s) and s[off] == ".":
            if ellipsis < 0 and i != 12:
                raise _addr_error(in_, "embedded IPv4 address must replace the final 2 fields of the address", s)
            if i + 4 > 16:
                raise _addr_error(in_, "too many hex fields to fit an embedded IPv4 at the end of the address", s)
            try:
                ip4 = _parse_ipv4(s)
            except GoError as err:
                raise _addr_error(in_, str(err), s) from None
            for k in range(4):
                ip[i + k] = (ip4.value >> (24 - 8 * k)) & 0xFF
            s = ""
            i += 4
            break
        ip[i], ip[i + 1] = acc >> 8, acc & 0xFF
        i += 2
        s = s[off:]
        if len(s) == 0:
            break
        if s[0] != ":":
            raise _addr_error(in_, "unexpected character, want colon", s)
        if len(s) == 1:
            raise _addr_error(in_, "colon must be followed by more characters", s)
        s = s[1:]
        if s[0] == ":":
            if ellipsis >= 0:
                raise _addr_error(in_, "multiple :: in address", s)
            ellipsis = i
            s = s[1:]
            if len(s) == 0:
                break
    if len(s) != 0:
        raise _addr_error(in_, "trailing garbage after address", s)
    if i < 16:
        if ellipsis < 0:
            raise _addr_error(in_, "address string too short")
        n = 16 - i
        for j in range(i - 1, ellipsis - 1, -1):
            ip[j + n] = ip[j]
        for j in range(ellipsis + n - 1, ellipsis - 1, -1):
            ip[j] = 0
    elif ellipsis >= 0:
        raise _addr_error(in_, "the :: must expand to at least one field of zeros")
    return GoAddr(6, int.from_bytes(bytes(ip), "big"), zone)


def go_parse_addr(s):
    """netip.ParseAddr."""
    for ch in s:
        if ch == ".":
            return _parse_ipv4(s)
        if ch == ":":
            return _parse_ipv6(s)
        if ch == "%":
            raise _addr_error(s, "missing IPv6 address")
    raise _addr_error(s, "unable to parse IP")


class GoPrefix:
    def __init__(self, addr, bits):
        self.addr, self.bits = addr, bits

    def __str__(self):
        return f"{self.addr}/{self.bits}"


def go_parse_prefix(s):
    """netip.ParsePrefix (Go 1.23+ messages)."""
    def err(msg):
        return GoError(f"netip.ParsePrefix({go_quote(s)}): {msg}")

    i = s.rfind("/")
    if i < 0:
        raise err("no '/'")
    try:
        ip = go_parse_addr(s[:i])
    except GoError as e:
        raise err(str(e)) from None
    if ip.is6() and ip.zone:
        raise err("IPv6 zones cannot be present in a prefix")
    bits_str = s[i + 1:]
    if len(bits_str) > 1 and not "1" <= bits_str[0] <= "9":
        raise err("bad bits after slash: " + go_quote(bits_str))
    try:
        bits = go_atoi(bits_str)
    except GoError:
        raise err("bad bits after slash: " + go_quote(bits_str)) from None
    if bits < 0 or bits > (128 if ip.is6() else 32):
        raise err("prefix length out of range")
    return GoPrefix(ip, bits)


class GoAddrPort:
    def __init__(self, addr, port):
        self.addr, self.port = addr, port

    def __str__(self):
        if self.addr.is4():
            return f"{self.addr}:{self.port}"
        return f"[{self.addr}]:{self.port}"


def go_parse_addr_port(s):
    """netip.ParseAddrPort."""
    i = s.rfind(":")
    if i == -1:
        raise GoError("not an ip:port")
    ip, port = s[:i], s[i + 1:]
    if len(ip) == 0:
        raise GoError("no IP")
    if len(port) == 0:
        raise GoError("no port")
    v6 = False
    if ip[0] == "[":
        if len(ip) < 2 or ip[-1] != "]":
            raise GoError("missing ]")
        ip, v6 = ip[1:-1], True
    try:
        port16 = go_parse_uint(port, 16)
    except GoError:
        raise GoError("invalid port " + go_quote(port) + " parsing " + go_quote(s)) from None
    addr = go_parse_addr(ip)
    if v6 and addr.is4():
        raise GoError("invalid ip:port " + go_quote(s) + ", square brackets can only be used with IPv6 addresses")
    if not v6 and addr.is6():
        raise GoError("invalid ip:port " + go_quote(s) + ", IPv6 addresses must be surrounded by square brackets")
    return GoAddrPort(addr, port16)


def go_split_host_port(hostport):
    """net.SplitHostPort; errors are net.AddrError ("address X: why")."""
    def addr_err(why):
        return GoError(f"address {hostport}: {why}")

    missing_port, too_many_colons = "missing port in address", "too many colons in address"
    j = k = 0
    i = hostport.rfind(":")
    if i < 0:
        raise addr_err(missing_port)
    if hostport[0] == "[":
        end = hostport.find("]")
        if end < 0:
            raise addr_err("missing ']' in address")
        if end + 1 == len(hostport):
            raise addr_err(missing_port)
        if end + 1 != i:
            if hostport[end + 1] == ":":
                raise addr_err(too_many_colons)
            raise addr_err(missing_port)
        host = hostport[1:end]
        j, k = 1, end + 1
    else:
        host = hostport[:i]
        if ":" in host:
            raise addr_err(too_many_colons)
    if "[" in hostport[j:]:
        raise addr_err("unexpected '[' in address")
    if "]" in hostport[k:]:
        raise addr_err("unexpected ']' in address")
    return host, hostport[i + 1:]


def go_clean_path(path):
    """path/filepath.Clean (Unix)."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    parts = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


# --------------------------------------------------------------------------
# gosettings v0.4.4 messages.


def or_strings(elements):
    # validate/messages.go orStrings
    items = [str(e) for e in elements]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]


def is_one_of(value, choices):
    """validate.IsOneOf: None, or the error text."""
    if value in choices:
        return None
    return f"value is not one of the possible choices: {value} must be one of {or_strings(choices)}"


ERR_NO_CHOICE = "one or more values is set but there is no possible value available"  # validate/belong.go


def file_exists(path):
    """validate.FileExists (validate/files.go): None, or the error text."""
    path = go_clean_path(path)
    try:
        is_dir = os.path.isdir(path)
        os.stat(path)
    except FileNotFoundError:
        return f"file does not exist: {path}"
    except NotADirectoryError:
        return f"file does not exist: {path}"
    except OSError as err:
        return f"failed stating file: stat {path}: {(err.strerror or '').lower()}"
    if is_dir:
        return f"filepath is a directory: {path}"
    return None


def listening_address(address, uid):
    """validate.ListeningAddress (validate/listenaddress.go): None, or the error text."""
    if address == "":
        return None
    try:
        _, port_str = go_split_host_port(address)
    except GoError as err:
        return f"splitting host and port: {err}"
    try:
        port = go_parse_uint(port_str)
    except GoError:
        return f"port value is not an integer: {port_str}"
    if port > 65535:
        return f"port cannot be higher than 65535: {port}"
    if port == 0 or uid in (0, -1):
        return None
    start = 1024
    try:
        with open("/proc/sys/net/ipv4/ip_unprivileged_port_start", encoding="ascii") as handle:
            start = int(handle.read().strip())
    except (OSError, ValueError):
        pass
    if port >= start:
        return None
    # hasNetBindServiceCapability is not checked here: the lab runs as root.
    details = [f"user id {uid}"]
    if start != 1024:
        details.append(f"unprivileged start port {start}")
    return f"listening on privileged port is not allowed: port {port} ({', '.join(details)})"


# --------------------------------------------------------------------------
# Sources: gluetun's reader is gosettings' reader over three sources, in this
# order (cmd/gluetun/main.go): secret files, files, environment variables.


def _read_file(path):
    """sources/files/helpers.go ReadFromFile: (content, is_set), one line ending trimmed."""
    try:
        with open(path, "rb") as handle:
            content = handle.read().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        return "", False
    except IsADirectoryError:
        return "", False  # gluetun warns "skipping ...: reading file: ..." and goes on
    except OSError:
        return "", False
    if content.endswith("\r\n"):
        content = content[:-2]
    elif content.endswith("\n"):
        content = content[:-1]
    return content, True


def _read_pem(path):
    """sources/files/helpers.go ReadPEMFile: the DER bytes of the first PEM block, base64."""
    data, is_set = _read_file(path)
    if not is_set:
        return "", False
    match = re.search(r"-----BEGIN [^-\n]*-----\r?\n(.*?)\r?\n?-----END [^-\n]*-----", data, re.S)
    if not match:
        return "", False  # gluetun warns "skipping ...: parsing PEM: ..."
    body = "".join(line.strip() for line in match.group(1).splitlines() if ":" not in line)
    try:
        der = base64.b64decode(body, validate=True)
    except ValueError:
        return "", False
    return base64.b64encode(der).decode("ascii"), True


def _parse_wireguard_conf(path):
    """sources/files/wireguard.go ParseWireguardConf (ini, case-insensitive)."""
    text, is_set = _read_file(path)
    conf = {}
    if not is_set:
        return conf
    section = None
    sections = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip().lower()
            sections.setdefault(section, {})
            continue
        if section is None or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = re.split(r"\s[#;]", value, maxsplit=1)[0].strip()
        sections[section].setdefault(key.strip().lower(), value)
    interface = sections.get("interface", {})
    peer = sections.get("peer", {})
    if "privatekey" in interface:
        conf["private_key"] = interface["privatekey"]
    if "address" in interface:
        conf["addresses"] = interface["address"]
    if "presharedkey" in peer:
        conf["preshared_key"] = peer["presharedkey"]
    if "publickey" in peer:
        conf["public_key"] = peer["publickey"]
    if "endpoint" in peer:
        parts = peer["endpoint"].split(":")
        conf["endpoint_ip"] = parts[0]
        if len(parts) >= 2:
            conf["endpoint_port"] = ":".join(parts[1:])
    return conf


_WG_CONF_KEYS = ("private_key", "preshared_key", "addresses", "public_key", "endpoint_ip", "endpoint_port")


class SecretsSource:
    """sources/secrets/reader.go: /run/secrets/<key>, or <KEY>_SECRETFILE."""

    name = "secret files"

    def __init__(self, environ, root):
        self.environ, self.root, self._wg = environ, root, None

    def transform(self, key):
        return {"OPENVPN_KEY": "openvpn_clientkey", "OPENVPN_CERT": "openvpn_clientcrt",
                "OPENVPN_ENCRYPTED_KEY": "openvpn_encrypted_key"}.get(key, key.lower())

    def _wireguard(self):
        if self._wg is None:
            path = self.environ.get("WIREGUARD_CONF_SECRETFILE") or os.path.join(self.root, "wg0.conf")
            self._wg = _parse_wireguard_conf(path)
        return self._wg

    def get(self, key):
        if key == "":
            return "", False
        path = self.environ.get(key.upper().replace("-", "_") + "_SECRETFILE") or os.path.join(self.root, key)
        if key in ("openvpn_clientcrt", "openvpn_clientkey", "openvpn_encrypted_key"):
            return _read_pem(path)
        short = key[len("wireguard_"):] if key.startswith("wireguard_") else None
        if short in ("private_key", "preshared_key", "addresses"):
            if short in self._wireguard():
                return self._wireguard()[short], True
        elif short in _WG_CONF_KEYS:
            value = self._wireguard().get(short)
            return (value, True) if value is not None else ("", False)
        return _read_file(path)


class FilesSource:
    """sources/files/reader.go: /gluetun/<key>, or <KEY>_FILE."""

    name = "files"

    def __init__(self, environ, root):
        self.environ, self.root, self._wg = environ, root, None

    def transform(self, key):
        return {"OPENVPN_KEY": "client.key", "OPENVPN_CERT": "client.crt",
                "OPENVPN_ENCRYPTED_KEY": "openvpn_encrypted_key"}.get(key, key.lower())

    def get(self, key):
        if key == "":
            return "", False
        path = self.environ.get(key.upper().replace("-", "_") + "_FILE") or os.path.join(self.root, key)
        if key in ("client.crt", "client.key", "openvpn_encrypted_key"):
            return _read_pem(path)
        short = key[len("wireguard_"):] if key.startswith("wireguard_") else None
        if short in _WG_CONF_KEYS:
            if self._wg is None:
                self._wg = _parse_wireguard_conf(os.path.join(self.root, "wireguard", "wg0.conf"))
            value = self._wg.get(short)
            return (value, True) if value is not None else ("", False)
        return _read_file(path)


class EnvSource:
    """gosettings reader/sources/env: the key upper-cased, '-' -> '_'."""

    name = "environment variable"

    def __init__(self, environ):
        self.environ = environ

    def transform(self, key):
        return key.upper().replace("-", "_")

    def get(self, key):
        if key in self.environ:
            return self.environ[key], True
        return "", False


_CUTSET = "\t\n\v\f\r \x85\xa0"


def _post_process(value, lowercase):
    # gosettings internal/parse/get.go postProcessValue
    if lowercase:
        value = value.lower()
    while True:
        value = value.strip(_CUTSET)
        if len(value) >= 2 and value[0] in "'\"`" and value[-1] in "'\"`":
            value = value[1:-1]
            continue
        return value


class Reader:
    """gosettings reader.Reader with gluetun's three sources."""

    def __init__(self, environ, secrets_dir="/run/secrets", files_dir="/gluetun"):
        environ = dict(environ)
        self.sources = [SecretsSource(environ, secrets_dir), FilesSource(environ, files_dir), EnvSource(environ)]
        self.deprecated = []  # (source, old key, current key): gluetun logs a WARN for each

    def _get(self, key, lowercase=True, retro=(), is_retro=None):
        # gosettings internal/parse/get.go get
        for key_to_try in list(retro) + [key]:
            for source in self.sources:
                transformed = source.transform(key_to_try)
                value, is_set = source.get(transformed)
                if not is_set or value == "":
                    continue
                current = source.transform(is_retro or key)
                if is_retro or transformed != source.transform(key):
                    self.deprecated.append((source.name, transformed, current))
                return _post_process(value, lowercase), source.name, source.transform(key)
        return None, "", ""

    def get(self, key, lowercase=True, retro=(), is_retro=None):
        return self._get(key, lowercase, retro, is_retro)[0]

    def string(self, key, lowercase=True, retro=()):
        value = self.get(key, lowercase, retro)
        return "" if value is None else value

    def csv(self, key, lowercase=True, retro=()):
        value = self.get(key, lowercase, retro)
        return None if value is None else value.split(",")

    def parse(self, key, parse, retro=(), is_retro=None, lowercase=True):
        # gosettings internal/parse/builtin.go GetParse: "<source> <KEY>: <error>"
        value, source, shown_key = self._get(key, lowercase, retro, is_retro)
        if value is None:
            return None
        try:
            return parse(value)
        except GoError as err:
            raise SettingsError(f"{source} {shown_key}: {err}") from None

    def csv_parse(self, key, parse, retro=()):
        # gosettings internal/parse/csv.go CSVParse (items are not trimmed)
        value, source, shown_key = self._get(key, True, retro)
        if value is None:
            return None
        out = []
        for item in value.split(","):
            try:
                out.append(parse(item))
            except GoError as err:
                raise SettingsError(f"{source} {shown_key}: {err}") from None
        return out

    def bool_ptr(self, key, retro=(), is_retro=None):
        return self.parse(key, parse_bool, retro, is_retro)

    def uint_ptr(self, key, bits, retro=()):
        return self.parse(key, lambda v: parse_unsigned(v, bits), retro)

    def int_ptr(self, key, retro=()):
        return self.parse(key, go_parse_int, retro)

    def duration_ptr(self, key, retro=()):
        return self.parse(key, go_parse_duration, retro)

    def netip_addr(self, key, retro=(), is_retro=None):
        return self.parse(key, go_parse_addr, retro, is_retro)


def parse_bool(value):
    # gosettings internal/parse/parse.go parseBool
    if value == "":  # set to spaces or quotes only: unset
        return None
    lowered = value.lower()
    if lowered in ("enabled", "yes", "on", "true"):
        return True
    if lowered in ("disabled", "no", "off", "false"):
        return False
    raise GoError(is_one_of(lowered, ["enabled", "yes", "on", "true", "disabled", "no", "off", "false"]))


def parse_unsigned(value, bits):
    # gosettings internal/parse/parse.go parseUnsigned
    n = go_parse_uint(value, 64)
    maximum = (1 << bits) - 1
    if n > maximum:
        raise GoError(f"value is not in range: {n} is not between 0 and {maximum}")
    return n


# --------------------------------------------------------------------------
# Constants per generation.

# internal/constants/providers/providers.go All() (v3.41.1 and master drop wevpn;
# v3.39 has no giganews).
_ALL_PROVIDERS = [
    "airvpn", "cyberghost", "expressvpn", "fastestvpn", "giganews", "hidemyass", "ipvanish",
    "ivpn", "mullvad", "nordvpn", "perfect privacy", "privado", "private internet access",
    "privatevpn", "protonvpn", "purevpn", "slickvpn", "surfshark", "torguard", "vpnsecure",
    "vpn unlimited", "vyprvpn", "wevpn", "windscribe",
]
# internal/configuration/settings/provider.go (and wireguard.go in v3.40/v3.41)
WIREGUARD_PROVIDERS = ["airvpn", "custom", "fastestvpn", "ivpn", "mullvad", "nordvpn", "protonvpn",
                       "surfshark", "windscribe"]


def all_providers(gen):
    names = list(_ALL_PROVIDERS)
    if gen == "v3.39":
        names.remove("giganews")
    if gen in ("v3.41", "latest"):
        names.remove("wevpn")
    return names


def openvpn_provider_choices(gen):
    # provider.go: AllWithCustom() + "pia"; master removes mullvad (swap with the
    # last element, truncate) then sorts.
    names = all_providers(gen) + ["custom", "pia"]
    if gen == "latest":
        names.remove("mullvad")
        names.sort()
    return names


def port_forward_providers(gen):
    # portforward.go validProviders (v3.39 had no privatevpn)
    if gen == "v3.39":
        return ["perfect privacy", "private internet access", "protonvpn"]
    return ["perfect privacy", "private internet access", "privatevpn", "protonvpn"]


REGEX_INTERFACE = "^[a-zA-Z0-9_]+$"  # wireguard.go regexpInterfaceName
_INTERFACE_RE = re.compile(r"[a-zA-Z0-9_]+\Z")
_IVPN_ACCOUNT_RE = re.compile(r"(i|ivpn)\-[a-zA-Z0-9]{4}\-[a-zA-Z0-9]{4}\-[a-zA-Z0-9]{4}\Z")  # openvpn.go

# Environment variables holding secrets (gluetun never logs them; the lab
# stand-in unsets them once read).
SENSITIVE_KEYS = (
    "WIREGUARD_PRIVATE_KEY", "WIREGUARD_PRESHARED_KEY", "AMNEZIAWG_PRIVATE_KEY",
    "AMNEZIAWG_PRESHARED_KEY", "OPENVPN_USER", "OPENVPN_PASSWORD", "USER", "PASSWORD",
    "OPENVPN_KEY", "OPENVPN_ENCRYPTED_KEY", "OPENVPN_KEY_PASSPHRASE", "OPENVPN_CERT",
    "VPN_PORT_FORWARDING_USERNAME", "VPN_PORT_FORWARDING_PASSWORD",
)


# --------------------------------------------------------------------------
# IPv6 support: internal/netlink/ipv6.go.


def detect_ipv6_support(gen):
    """Like netLinker.IsIPv6Supported (v3.40/v3.41) or FindIPv6SupportLevel (master).

    Routes of all tables; a route counts when its source or destination is
    IPv6 and the destination is not loopback.  v3.40/v3.41 skip a default
    route with no IPv6 source (its Dst is nil); master counts it (it would
    then try the IPv6 check addresses, and either outcome means supported).
    With net.ipv6.conf.all.disable_ipv6=1 there is no IPv6 route at all.
    """
    try:
        proc = subprocess.run(["ip", "-6", "-o", "route", "show", "table", "all"],
                              capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    if proc.returncode != 0:
        # gluetun would fail "checking for IPv6 support: listing IPv6 routes: ..."
        # on a kernel without IPv6; treated as unsupported here.
        return False
    types = {"unicast", "local", "broadcast", "multicast", "throw", "unreachable", "prohibit",
             "blackhole", "nat", "anycast"}
    for line in proc.stdout.splitlines():
        tokens = line.split()
        if not tokens:
            continue
        if tokens[0] in types and len(tokens) > 1:
            tokens = tokens[1:]
        dst = tokens[0]
        src = tokens[tokens.index("src") + 1] if "src" in tokens[:-1] else ""
        if dst == "default":
            if gen == "latest" or ":" in src:
                return True
            continue
        if dst.split("/")[0] == "::1":
            continue
        return True
    return False


# --------------------------------------------------------------------------
# Reading: internal/configuration/settings/*.go read functions.


def _read_control_server(r, s, gen):
    # internal/configuration/settings/server.go
    s["control_log"] = r.bool_ptr("HTTP_CONTROL_SERVER_LOG")
    s["control_address"] = r.get("HTTP_CONTROL_SERVER_ADDRESS")
    s["control_auth_file"] = r.string("HTTP_CONTROL_SERVER_AUTH_CONFIG_FILEPATH")


def _read_dns(r, s, gen):
    if gen in ("v3.39", "v3.40"):
        # internal/configuration/settings/dns.go + dot.go (v3.40.4)
        s["dns_address"] = r.netip_addr("DNS_ADDRESS", retro=("DNS_PLAINTEXT_ADDRESS",))
        s["dns_keep_nameserver"] = r.bool_ptr("DNS_KEEP_NAMESERVER")
        try:
            s["dns_server"] = r.bool_ptr("DOT")
            s["dns_update_period"] = r.duration_ptr("DNS_UPDATE_PERIOD")
            s["dns_providers"] = r.csv("DOT_PROVIDERS")
            s["dns_caching"] = r.bool_ptr("DOT_CACHING")
            s["dns_ipv6"] = r.bool_ptr("DOT_IPV6")
        except SettingsError as err:
            raise SettingsError(f"DNS over TLS settings: {err}") from None
        return
    # internal/configuration/settings/dns.go (v3.41.1, master)
    s["dns_server"] = r.bool_ptr("DNS_SERVER", retro=("DOT",))
    s["dns_upstream_type"] = r.string("DNS_UPSTREAM_RESOLVER_TYPE")
    s["dns_update_period"] = r.duration_ptr("DNS_UPDATE_PERIOD")
    s["dns_providers"] = r.csv("DNS_UPSTREAM_RESOLVERS", retro=("DOT_PROVIDERS",))
    s["dns_caching"] = r.bool_ptr("DNS_CACHING", retro=("DOT_CACHING",))
    s["dns_ipv6"] = r.bool_ptr("DNS_UPSTREAM_IPV6", retro=("DOT_IPV6",))
    if gen == "v3.41":
        s["dns_address"] = r.netip_addr("DNS_ADDRESS", retro=("DNS_PLAINTEXT_ADDRESS",))
        s["dns_keep_nameserver"] = r.bool_ptr("DNS_KEEP_NAMESERVER")
        return
    # master dns.go readUpstreamPlainAddresses
    s["dns_plain_addresses"] = r.csv_parse("DNS_UPSTREAM_PLAIN_ADDRESSES", go_parse_addr_port)
    address = r.netip_addr("DNS_ADDRESS", retro=("DNS_PLAINTEXT_ADDRESS",),
                           is_retro="DNS_UPSTREAM_PLAIN_ADDRESSES")
    if address is not None and str(address) != "127.0.0.1":
        s["dns_plain_addresses"] = (s["dns_plain_addresses"] or []) + [GoAddrPort(address, 53)]
        s["dns_upstream_type"] = "plain"


def _read_firewall(r, s, gen):
    # internal/configuration/settings/firewall.go
    s["fw_vpn_input_ports"] = r.csv_parse("FIREWALL_VPN_INPUT_PORTS", lambda v: parse_unsigned(v, 16))
    s["fw_input_ports"] = r.csv_parse("FIREWALL_INPUT_PORTS", lambda v: parse_unsigned(v, 16))
    s["fw_outbound_subnets"] = r.csv_parse("FIREWALL_OUTBOUND_SUBNETS", go_parse_prefix, retro=("EXTRA_SUBNETS",))
    s["fw_enabled"] = r.bool_ptr("FIREWALL_ENABLED_DISABLING_IT_SHOOTS_YOU_IN_YOUR_FOOT")
    if gen != "latest":
        s["fw_debug"] = r.bool_ptr("FIREWALL_DEBUG")
        return
    # master iptables.go read
    try:
        r.bool_ptr("FIREWALL_DEBUG", is_retro="FIREWALL_IPTABLES_LOG_LEVEL")
        s["iptables_log_level"] = r.string("FIREWALL_IPTABLES_LOG_LEVEL")
    except SettingsError as err:
        raise SettingsError(f"reading iptables settings: {err}") from None


def _read_health(r, s, gen):
    # internal/configuration/settings/health.go (+ healthywait.go in v3.40)
    s["health_address"] = r.string("HEALTH_SERVER_ADDRESS")
    if gen in ("v3.39", "v3.40"):
        s["health_target"] = r.string("HEALTH_TARGET_ADDRESS", retro=("HEALTH_ADDRESS_TO_PING",))
        s["health_success_wait"] = r.duration_ptr("HEALTH_SUCCESS_WAIT_DURATION")
        try:
            r.duration_ptr("HEALTH_VPN_DURATION_INITIAL", retro=("HEALTH_OPENVPN_DURATION_INITIAL",))
            r.duration_ptr("HEALTH_VPN_DURATION_ADDITION", retro=("HEALTH_OPENVPN_DURATION_ADDITION",))
        except SettingsError as err:
            raise SettingsError(f"VPN health settings: {err}") from None
        return
    s["health_targets"] = r.csv("HEALTH_TARGET_ADDRESSES", retro=("HEALTH_ADDRESS_TO_PING", "HEALTH_TARGET_ADDRESS"))
    s["health_icmp_ips"] = r.csv_parse("HEALTH_ICMP_TARGET_IPS", go_parse_addr, retro=("HEALTH_ICMP_TARGET_IP",))
    s["health_small_check_type"] = r.string("HEALTH_SMALL_CHECK_TYPE")
    s["health_restart_vpn"] = r.bool_ptr("HEALTH_RESTART_VPN")


def _read_public_ip(r, s, gen):
    # internal/configuration/settings/publicip.go readPublicIPEnabled
    period = r.duration_ptr("PUBLICIP_PERIOD")
    if period is None:
        s["publicip_enabled"] = r.bool_ptr("PUBLICIP_ENABLED")
    else:
        s["publicip_enabled"] = period != 0
    s["publicip_file"] = r.get("PUBLICIP_FILE", lowercase=False, retro=("IP_STATUS_FILE",))


def _read_system(r, s, gen):
    # internal/configuration/settings/system.go
    s["puid"] = r.uint_ptr("PUID", 32, retro=("UID",))
    s["pgid"] = r.uint_ptr("PGID", 32, retro=("GID",))


def _read_log(r, s, gen):
    # internal/configuration/settings/log.go
    s["log_level"] = r.string("LOG_LEVEL")


def _read_wireguard(r, s, gen, prefix="WIREGUARD"):
    # internal/configuration/settings/wireguard.go read
    w = {}
    w["private_key"] = r.get(prefix + "_PRIVATE_KEY", lowercase=False)
    w["preshared_key"] = r.get(prefix + "_PRESHARED_KEY", lowercase=False)
    w["interface"] = r.string("VPN_INTERFACE", lowercase=False, retro=(prefix + "_INTERFACE",))
    w["implementation"] = r.string("WIREGUARD_IMPLEMENTATION") if prefix == "WIREGUARD" else "userspace"
    addresses = []
    for address in r.csv(prefix + "_ADDRESSES", retro=(prefix + "_ADDRESS",)) or []:
        if gen == "latest":
            address = address.strip(" \t\n\v\f\r\x85\xa0")
            if address == "":
                continue
            if "/" not in address:
                address += "/32"
        else:
            if "/" not in address:
                address += "/32"
            address = address.strip(" \t\n\v\f\r\x85\xa0")
        try:
            addresses.append(go_parse_prefix(address))
        except GoError as err:
            raise SettingsError(f"parsing address: {err}") from None
    w["addresses"] = addresses
    w["allowed_ips"] = r.csv_parse(prefix + "_ALLOWED_IPS", go_parse_prefix)
    w["keepalive"] = r.duration_ptr(prefix + "_PERSISTENT_KEEPALIVE_INTERVAL")
    # master reads the MTU as a uint32 (0 = path MTU discovery)
    w["mtu"] = r.uint_ptr(prefix + "_MTU", 32 if gen == "latest" else 16)
    return w


def _read_server_selection(r, s, gen, provider, vpn_type):
    # internal/configuration/settings/serverselection.go read
    ss = {"vpn": vpn_type}
    countries_retro = ["COUNTRY"] + (["REGION"] if provider == "cyberghost" else [])
    ss["countries"] = r.csv("SERVER_COUNTRIES", retro=countries_retro)
    ss["regions"] = r.csv("SERVER_REGIONS", retro=("REGION",))
    ss["cities"] = r.csv("SERVER_CITIES", retro=("CITY",))
    ss["isps"] = r.csv("ISP")
    ss["hostnames"] = r.csv("SERVER_HOSTNAMES", retro=("SERVER_HOSTNAME",))
    ss["names"] = r.csv("SERVER_NAMES", retro=("SERVER_NAME",))
    ss["numbers"] = r.csv_parse("SERVER_NUMBER", lambda v: parse_unsigned(v, 16))
    ss["categories"] = r.csv("SERVER_CATEGORIES")
    ss["owned_only"] = r.bool_ptr("OWNED_ONLY", retro=("OWNED",))
    ss["free_only"] = r.bool_ptr("FREE_ONLY")
    ss["premium_only"] = r.bool_ptr("PREMIUM_ONLY")
    ss["multihop_only"] = r.bool_ptr("MULTIHOP_ONLY")
    ss["stream_only"] = r.bool_ptr("STREAM_ONLY")
    ss["secure_core_only"] = r.bool_ptr("SECURE_CORE_ONLY")
    ss["tor_only"] = r.bool_ptr("TOR_ONLY")
    ss["port_forward_only"] = r.bool_ptr("PORT_FORWARD_ONLY")
    # openvpnselection.go read
    ss["ovpn_conf_file"] = r.get("OPENVPN_CUSTOM_CONFIG", lowercase=False)
    ss["ovpn_protocol"] = r.string("OPENVPN_PROTOCOL", retro=("PROTOCOL",))
    ss["ovpn_endpoint_ip"] = r.netip_addr("OPENVPN_ENDPOINT_IP", retro=("OPENVPN_TARGET_IP", "VPN_ENDPOINT_IP"))
    ss["ovpn_custom_port"] = r.uint_ptr("OPENVPN_ENDPOINT_PORT", 16, retro=("PORT", "OPENVPN_PORT", "VPN_ENDPOINT_PORT"))
    ss["pia_enc_preset"] = r.get("PRIVATE_INTERNET_ACCESS_OPENVPN_ENCRYPTION_PRESET", retro=("ENCRYPTION", "PIA_ENCRYPTION"))
    # wireguardselection.go read
    prefix = "AMNEZIAWG" if gen == "latest" and vpn_type == "amneziawg" else "WIREGUARD"
    try:
        ss["wg_endpoint_ip"] = r.netip_addr(prefix + "_ENDPOINT_IP", retro=("VPN_ENDPOINT_IP",))
    except SettingsError as err:
        if gen in ("v3.39", "v3.40"):
            raise
        raise SettingsError(f"{err} - note this MUST be an IP address, "
                            "see https://github.com/qdm12/gluetun/issues/788") from None
    ss["wg_endpoint_port"] = r.uint_ptr(prefix + "_ENDPOINT_PORT", 16, retro=("VPN_ENDPOINT_PORT",))
    ss["wg_public_key"] = r.string(prefix + "_PUBLIC_KEY", lowercase=False)
    return ss


def _read_port_forwarding(r, s, gen):
    # internal/configuration/settings/portforward.go read
    pf = {}
    pf["enabled"] = r.bool_ptr("VPN_PORT_FORWARDING",
                               retro=("PORT_FORWARDING", "PRIVATE_INTERNET_ACCESS_VPN_PORT_FORWARDING"))
    pf["provider"] = r.get("VPN_PORT_FORWARDING_PROVIDER")
    pf["filepath"] = r.get("VPN_PORT_FORWARDING_STATUS_FILE", lowercase=False,
                           retro=("PORT_FORWARDING_STATUS_FILE", "PRIVATE_INTERNET_ACCESS_VPN_PORT_FORWARDING_STATUS_FILE"))
    pf["up_command"] = r.get("VPN_PORT_FORWARDING_UP_COMMAND", lowercase=False)
    pf["down_command"] = r.get("VPN_PORT_FORWARDING_DOWN_COMMAND", lowercase=False)
    if gen == "latest":
        pf["listening_ports"] = r.csv_parse("VPN_PORT_FORWARDING_LISTENING_PORTS", lambda v: parse_unsigned(v, 16),
                                            retro=("VPN_PORT_FORWARDING_LISTENING_PORT",))
        pf["ports_count"] = r.uint_ptr("VPN_PORT_FORWARDING_PORTS_COUNT", 16)
    else:
        pf["listening_port"] = r.uint_ptr("VPN_PORT_FORWARDING_LISTENING_PORT", 16)
    pf["username"] = ""
    for key in ("VPN_PORT_FORWARDING_USERNAME", "OPENVPN_USER", "USER"):
        pf["username"] = r.string(key, lowercase=False)
        if pf["username"]:
            break
    pf["password"] = ""
    for key in ("VPN_PORT_FORWARDING_PASSWORD", "OPENVPN_PASSWORD", "PASSWORD"):
        pf["password"] = r.string(key, lowercase=False)
        if pf["password"]:
            break
    return pf


def _read_openvpn(r, s, gen):
    # internal/configuration/settings/openvpn.go read
    o = {}
    o["version"] = r.string("OPENVPN_VERSION")
    o["user"] = r.get("OPENVPN_USER", lowercase=False, retro=("USER",))
    o["password"] = r.get("OPENVPN_PASSWORD", lowercase=False, retro=("PASSWORD",))
    o["conf_file"] = r.get("OPENVPN_CUSTOM_CONFIG", lowercase=False)
    o["cert"] = r.get("OPENVPN_CERT", lowercase=False)
    o["key"] = r.get("OPENVPN_KEY", lowercase=False)
    o["encrypted_key"] = r.get("OPENVPN_ENCRYPTED_KEY", lowercase=False)
    o["key_passphrase"] = r.get("OPENVPN_KEY_PASSPHRASE", lowercase=False)
    o["mssfix"] = r.uint_ptr("OPENVPN_MSSFIX", 16)
    o["interface"] = r.string("VPN_INTERFACE", lowercase=False, retro=("OPENVPN_INTERFACE",))
    r.bool_ptr("OPENVPN_ROOT")
    o["verbosity"] = r.int_ptr("OPENVPN_VERBOSITY")
    return o


def _read_amneziawg(r, s, gen):
    # master internal/configuration/settings/amneziawg.go read (the uint16 fields
    # are read by ranging over a Go map: with two bad ones, gluetun's pick is random)
    a = {"wireguard": _read_wireguard(r, s, gen, prefix="AMNEZIAWG")}
    for key in ("AMNEZIAWG_JC", "AMNEZIAWG_JMIN", "AMNEZIAWG_JMAX", "AMNEZIAWG_S1", "AMNEZIAWG_S2",
                "AMNEZIAWG_S3", "AMNEZIAWG_S4"):
        a[key] = r.uint_ptr(key, 16)
    for key in ("AMNEZIAWG_H1", "AMNEZIAWG_H2", "AMNEZIAWG_H3", "AMNEZIAWG_H4"):
        a[key] = r.get(key, lowercase=False)
    return a


def _read_vpn(r, s, gen):
    # internal/configuration/settings/vpn.go read
    vpn_type = r.string("VPN_TYPE")
    s["vpn_type"] = vpn_type
    # provider.go readVPNServiceProvider
    try:
        name = r.string("VPN_SERVICE_PROVIDER", retro=("VPNSP",))
        if name == "":
            if vpn_type != "wireguard" and r.get("OPENVPN_CUSTOM_CONFIG") is not None:
                name = "custom"
        elif name == "pia":
            name = "private internet access"
        s["provider"] = name
        try:
            s["ss"] = _read_server_selection(r, s, gen, name, vpn_type)
        except SettingsError as err:
            raise SettingsError(f"server selection: {err}") from None
        try:
            s["pf"] = _read_port_forwarding(r, s, gen)
        except SettingsError as err:
            raise SettingsError(f"port forwarding: {err}") from None
    except SettingsError as err:
        raise SettingsError(f"VPN provider: {err}") from None
    if gen == "latest":
        try:
            s["amneziawg"] = _read_amneziawg(r, s, gen)
        except SettingsError as err:
            raise SettingsError(f"AmneziaWG: {err}") from None
    try:
        s["openvpn"] = _read_openvpn(r, s, gen)
    except SettingsError as err:
        raise SettingsError(f"OpenVPN: {err}") from None
    try:
        s["wireguard"] = _read_wireguard(r, s, gen)
    except SettingsError as err:
        raise SettingsError(f"wireguard: {err}") from None
    if gen == "latest":
        try:
            # master pmtud.go read
            r.csv_parse("PMTUD_ICMP_ADDRESSES", go_parse_addr)
            r.csv_parse("PMTUD_TCP_ADDRESSES", go_parse_addr_port)
        except SettingsError as err:
            raise SettingsError(f"PMTUD: {err}") from None


def _read_http_proxy(r, s, gen):
    # internal/configuration/settings/httpproxy.go read (its listening address
    # and HTTPPROXY_LOG helpers are not reproduced)
    r.bool_ptr("HTTPPROXY", retro=("PROXY", "TINYPROXY"))
    r.bool_ptr("HTTPPROXY_STEALTH")


def _read_shadowsocks(r, s, gen):
    # internal/configuration/settings/shadowsocks.go read (address not reproduced)
    r.bool_ptr("SHADOWSOCKS")
    r.bool_ptr("SHADOWSOCKS_LOG")


def _read_updater(r, s, gen):
    # internal/configuration/settings/updater.go read
    r.duration_ptr("UPDATER_PERIOD")


def _read_version(r, s, gen):
    # internal/configuration/settings/version.go read
    r.bool_ptr("VERSION_INFORMATION")


def _read_boring_poll(r, s, gen):
    # master internal/configuration/settings/boringpoll.go read
    r.bool_ptr("BORINGPOLL_GLUETUNCOM")


def _read_ipv6(r, s, gen):
    # master internal/configuration/settings/ipv6.go read
    r.csv_parse("IPV6_CHECK_ADDRESSES", go_parse_addr_port)


# settings.go Read: name -> read function, in the order of gluetun's map
# literal (gluetun ranges over the map: its order is random).  The names are
# the ones gluetun prints: "reading <name> settings: ...".
READ_ORDER = [
    ("control server", _read_control_server),
    ("DNS", _read_dns),
    ("firewall", _read_firewall),
    ("health", _read_health),
    ("http proxy", _read_http_proxy),
    ("log", _read_log),
    ("public ip", _read_public_ip),
    ("shadowsocks", _read_shadowsocks),
    ("system", _read_system),
    ("updater", _read_updater),
    ("version", _read_version),
    ("VPN", _read_vpn),
    ("IPv6", _read_ipv6),  # master only
    ("boring poll", _read_boring_poll),  # master only
]


# --------------------------------------------------------------------------
# Defaults: the SetDefaults functions that the validation depends on.


def _set_defaults(s, gen):
    s["log_level"] = s["log_level"] or "INFO"  # log.go
    s["control_address"] = s["control_address"] if s["control_address"] is not None else ":8000"  # server.go
    s["health_address"] = s["health_address"] or "127.0.0.1:9999"  # health.go
    s["vpn_type"] = s["vpn_type"] or "openvpn"  # vpn.go
    s["provider"] = s["provider"] or "private internet access"  # provider.go
    pf = s["pf"]
    pf["enabled"] = bool(pf["enabled"])
    pf["provider"] = pf["provider"] or ""
    if gen == "latest":
        pf["listening_ports"] = pf["listening_ports"] or [0]
        pf["ports_count"] = pf["ports_count"] or 1
    ss = s["ss"]
    ss["vpn"] = ss["vpn"] or "openvpn"
    for key in ("owned_only", "free_only", "premium_only", "stream_only", "secure_core_only", "tor_only",
                "multihop_only"):
        ss[key] = bool(ss[key])
    if ss["port_forward_only"] is None:
        ss["port_forward_only"] = pf["enabled"] and s["provider"] in ("private internet access", "protonvpn")
    ss["ovpn_protocol"] = ss["ovpn_protocol"] or "udp"  # openvpnselection.go
    ss["ovpn_custom_port"] = ss["ovpn_custom_port"] or 0
    pia = "strong" if s["provider"] == "private internet access" else ""
    ss["pia_enc_preset"] = ss["pia_enc_preset"] if ss["pia_enc_preset"] is not None else pia
    if ss["wg_endpoint_ip"] is None:  # wireguardselection.go
        ss["wg_endpoint_ip"] = GoAddr(4, 0)
    ss["wg_endpoint_port"] = ss["wg_endpoint_port"] or 0
    o = s["openvpn"]  # openvpn.go
    o["version"] = o["version"] or "2.6"
    o["user"] = o["user"] or ""
    o["password"] = o["password"] or ("m" if s["provider"] == "mullvad" else "")
    for key in ("conf_file", "cert", "key", "encrypted_key", "key_passphrase"):
        o[key] = o[key] or ""
    o["mssfix"] = o["mssfix"] or 0
    o["interface"] = o["interface"] or "tun0"
    o["verbosity"] = 1 if o["verbosity"] is None else o["verbosity"]
    wgs = [s["wireguard"]] + ([s["amneziawg"]["wireguard"]] if gen == "latest" else [])
    for w in wgs:  # wireguard.go setDefaults
        w["private_key"] = w["private_key"] or ""
        w["preshared_key"] = w["preshared_key"] or ""
        if not w["addresses"]:
            if s["provider"] == "nordvpn":
                w["addresses"] = [go_parse_prefix("10.5.0.2/32")]
            elif s["provider"] == "protonvpn":
                w["addresses"] = [go_parse_prefix("10.2.0.2/32")]
        w["allowed_ips"] = w["allowed_ips"] or [go_parse_prefix("0.0.0.0/0"), go_parse_prefix("::/0")]
        w["keepalive"] = w["keepalive"] or 0
        w["interface"] = w["interface"] or "wg0"
        w["implementation"] = w["implementation"] or "auto"
        w["mtu"] = w["mtu"] or (0 if gen == "latest" else 1320)
    if gen == "latest":
        for key in ("AMNEZIAWG_JC", "AMNEZIAWG_JMIN", "AMNEZIAWG_JMAX"):
            s["amneziawg"][key] = s["amneziawg"][key] or 0
    if gen not in ("v3.39", "v3.40"):  # dns.go
        s["dns_server"] = True if s["dns_server"] is None else s["dns_server"]
        default_type = "dot" if s["dns_server"] or gen != "latest" else "plain"
        s["dns_upstream_type"] = s["dns_upstream_type"] or default_type
        s["dns_ipv6"] = bool(s["dns_ipv6"])
        s["dns_plain_addresses"] = s.get("dns_plain_addresses") or []
    s["dns_update_period"] = 86_400_000_000_000 if s["dns_update_period"] is None else s["dns_update_period"]
    if gen == "latest":  # iptables.go setDefaults
        level = s["log_level"]
        s["iptables_log_level"] = s["iptables_log_level"] or ("INFO" if level.upper() == "DEBUG" else level)
    s["health_small_check_type"] = s.get("health_small_check_type") or "icmp"  # health.go (v3.41+)


# --------------------------------------------------------------------------
# Validation: internal/configuration/settings/*.go validate functions.
# Each returns None or the error text below its section name.


def parse_log_level(level):
    """github.com/qdm12/log ParseLevel: None, or the error text."""
    if level.upper() in ("DEBUG", "INFO", "WARN", "ERROR"):
        return None
    return f"level is not recognized: {level}"


def _validate_control_server(s, gen, ctx):
    # internal/configuration/settings/server.go validate
    try:
        _, port_str = go_split_host_port(s["control_address"])
    except GoError as err:
        return f"listening address is not valid: {err}"
    try:
        port = go_atoi(port_str)
    except GoError as err:
        return f"listening port it not valid: {err}"  # sic
    uid = ctx["uid"]
    if uid != 0 and port != 0 and port <= 1023:
        return f"cannot use privileged port without running as root: {port} when running with user ID {uid}"
    # v3.41.1 and master also decode HTTP_CONTROL_SERVER_AUTH_DEFAULT_ROLE here
    # ("default authentication role is not valid JSON: <encoding/json error>");
    # the entrypoint's Auth checks that role with its own messages.
    return None


def _validate_dns(s, gen, ctx):
    min_period = 30_000_000_000
    period = s["dns_update_period"]
    if gen in ("v3.39", "v3.40"):
        # dns.go validate -> dot.go validate (v3.40.4)
        if period != 0 and period < min_period:
            return (f"validating DoT settings: update period is too short: "
                    f"{go_duration_string(period)} must be bigger than 30s")
        return None  # DoT provider names and blacklist: not checked here
    # dns.go validate (v3.41.1, master)
    if s["dns_upstream_type"] not in ("dot", "doh", "plain"):
        return f"DNS upstream type is not valid: {s['dns_upstream_type']}"
    if gen == "latest" and not s["dns_server"]:
        # master dns.go validateForServerOff
        if s["dns_upstream_type"] != "plain":
            return f"upstream type {s['dns_upstream_type']} must be plain if the built-in DNS server is disabled"
        if not s["dns_plain_addresses"]:
            return "if DNS is disabled, at least one upstream plain address must be set"
        for addr_port in s["dns_plain_addresses"]:
            if addr_port.port != 53:
                return f"invalid DNS port in {addr_port}: must be 53"
    if period != 0 and period < min_period:
        return f"update period is too short: {go_duration_string(period)} must be bigger than 30s"
    if gen == "latest" and s["dns_upstream_type"] == "plain":
        has4 = any(a.addr.is4() for a in s["dns_plain_addresses"])
        has6 = any(a.addr.is6() for a in s["dns_plain_addresses"])
        count = len(s["dns_plain_addresses"])
        if s["dns_ipv6"] and not has6:
            return f"upstream plain addresses do not contain any IPv6 address: in {count} addresses"
        if not s["dns_ipv6"] and not has4:
            return f"upstream plain addresses do not contain any IPv4 address: in {count} addresses"
    return None  # upstream resolver names and blacklist: not checked here


def _validate_firewall(s, gen, ctx):
    # internal/configuration/settings/firewall.go validate
    if 0 in (s["fw_vpn_input_ports"] or []):
        return "VPN input ports: cannot have a zero port"
    if 0 in (s["fw_input_ports"] or []):
        return "input ports: cannot have a zero port"
    for subnet in s["fw_outbound_subnets"] or []:
        if subnet.addr.is_unspecified():
            return f"outbound subnet has an unspecified address: {subnet}"
    if gen == "latest":
        # master iptables.go validate
        err = parse_log_level(s["iptables_log_level"])
        if err:
            return f"iptables settings: log level: {err}"
    return None


def _validate_health(s, gen, ctx):
    # internal/configuration/settings/health.go Validate
    err = listening_address(s["health_address"], ctx["uid"])
    if err:
        return f"server listening address is not valid: {err}"
    if gen in ("v3.39", "v3.40"):
        return None
    ips = s["health_icmp_ips"] or []
    for ip in ips:
        if ip.is_unspecified() and len(ips) > 1:
            return ("ICMP target IP addresses are not compatible: "
                    "only a single IP address must be set if it is to be unspecified")
    err = is_one_of(s["health_small_check_type"], ["icmp", "dns"])
    if err:
        return f"small check type is not valid: {err}"
    return None


def _validate_log(s, gen, ctx):
    # internal/configuration/settings/log.go validate (main.go checks it first)
    err = parse_log_level(s["log_level"])
    return f"level: {err}" if err else None


def _validate_server_selection(s, gen):
    # internal/configuration/settings/serverselection.go validate
    ss, provider = s["ss"], s["provider"]
    prefix = f"for VPN service provider {provider}: "
    master = gen == "latest"
    if provider == "custom":
        # internal/storage/choices.go: custom has no filter choices at all.
        checks = [("countries", "the country specified is not valid"),
                  ("regions", "the region specified is not valid"),
                  ("cities", "the city specified is not valid"),
                  ("isps", "the ISP specified is not valid"),
                  ("hostnames", "the hostname specified is not valid")]
        for key, message in checks:
            if ss[key]:
                return prefix + f"{message}: {ERR_NO_CHOICE}"
        names = ss["names"] or []
        if len(names) > 1:
            head = "name is not valid" if master else "the server name specified is not valid"
            return prefix + f"{head}: {len(names)} names specified instead of 0 or 1 for the custom provider"
        if ss["categories"]:
            return prefix + f"the category specified is not valid: {ERR_NO_CHOICE}"
    # Other providers: their choices come from gluetun's servers data, which
    # the lab does not have; location filters are not checked for them.
    # validateSubscriptionTierFilters
    if ss["free_only"] and provider not in ("protonvpn", "vpn unlimited"):
        return prefix + "free only filter is not supported"
    if ss["premium_only"] and provider != "vpnsecure":
        return prefix + "premium only filter is not supported"
    if ss["free_only"] and ss["premium_only"]:
        return prefix + "free only and premium only filters are both set"
    # validateFeatureFilters
    if ss["owned_only"] and provider != "mullvad":
        return prefix + "owned only filter is not supported"
    if provider == "protonvpn" and ss["free_only"] and ss["port_forward_only"]:
        return prefix + "port forwarding only filter is not supported: together with free only filter"
    if ss["stream_only"] and provider not in ("protonvpn", "vpn unlimited"):
        return prefix + "stream only filter is not supported"
    if ss["multihop_only"] and provider != "surfshark":
        return prefix + "multi hop only filter is not supported"
    if ss["port_forward_only"] and provider not in ("private internet access", "protonvpn"):
        return prefix + "port forwarding only filter is not supported"
    if ss["secure_core_only"] and provider != "protonvpn":
        return prefix + "secure core only filter is not supported"
    if ss["tor_only"] and provider != "protonvpn":
        return prefix + "tor only filter is not supported"
    if ss["vpn"] == "openvpn":
        err = _validate_openvpn_selection(s, gen)
        return f"OpenVPN server selection settings: {err}" if err else None
    err = _validate_wireguard_selection(s, gen)
    return f"Wireguard server selection settings: {err}" if err else None


def _validate_openvpn_selection(s, gen):
    # internal/configuration/settings/openvpnselection.go validate
    ss, provider = s["ss"], s["provider"]
    if ss["ovpn_conf_file"]:
        err = file_exists(ss["ovpn_conf_file"])
        if err:
            return f"configuration file: {err}"
    err = is_one_of(ss["ovpn_protocol"], ["udp", "tcp"])
    if err:
        return f"network protocol: {err}"
    no_tcp = ["giganews", "ipvanish", "perfect privacy", "privado", "vyprvpn"]
    if gen == "latest":
        no_tcp.remove("privado")
    if ss["ovpn_protocol"] == "tcp" and provider in no_tcp:
        return f"TCP protocol is not supported: for VPN service provider {provider}"
    port = ss["ovpn_custom_port"]
    if port != 0:
        free = ["custom", "cyberghost", "hidemyass", "privatevpn", "torguard"]
        forbidden = ["expressvpn", "fastestvpn", "giganews", "ipvanish", "nordvpn", "privado", "purevpn",
                     "surfshark", "vpnsecure", "vpn unlimited", "vyprvpn"]
        if gen == "latest":
            forbidden.remove("privado")
        if provider in forbidden:
            return f"custom endpoint port is not allowed: for VPN service provider {provider}"
        if provider not in free:
            allowed = {  # (tcp, udp)
                "airvpn": ([53, 80, 443, 1194, 2018, 41185], [53, 80, 443, 1194, 2018, 41185]),
                "ivpn": ([80, 443, 1143], [53, 1194, 2049, 2050]),
                "mullvad": ([80, 443, 1401], [53, 1194, 1195, 1196, 1197, 1300, 1301, 1302, 1303, 1400]),
                "perfect privacy": ([44, 443, 4433], [44, 443, 4433]),
                "private internet access": ([80, 110, 443], [53, 1194, 1197, 1198, 8080, 9201]),
                "protonvpn": ([443, 5995, 8443], [80, 443, 1194, 4569, 5060]),
                "slickvpn": ([443, 8080, 8888], [443, 8080, 8888]),
                "wevpn": ([53, 1195, 1199, 2018], [80, 1194, 1198]),
                "windscribe": ([21, 22, 80, 123, 143, 443, 587, 1194, 3306, 8080, 54783],
                               [53, 80, 123, 443, 1194, 54783]),
            }
            if gen in ("v3.41", "latest"):
                allowed["protonvpn"] = ([443, 5995, 8443], [80, 443, 1194, 4569, 5060, 51820])
                del allowed["wevpn"]
            if gen == "latest":
                allowed["privado"] = ([443, 1194, 8080, 8443], [443, 1194, 8080, 8443])
                allowed["private internet access"] = ([80, 110, 443, 501, 502, 8443],
                                                      [53, 1194, 1197, 1198, 8080, 9201])
            tcp, udp = allowed[provider]
            err = is_one_of(port, tcp if ss["ovpn_protocol"] == "tcp" else udp)
            if err:
                return f"custom endpoint port is not allowed: for VPN service provider {provider}: {err}"
    if provider == "private internet access":
        presets = ["normal", "strong"] if gen == "latest" else ["none", "normal", "strong"]
        err = is_one_of(ss["pia_enc_preset"], presets)
        if err:
            return f"PIA encryption preset is not valid: {err}"
    return None


def _validate_wireguard_selection(s, gen):
    # internal/configuration/settings/wireguardselection.go validate
    ss, provider = s["ss"], s["provider"]
    if provider == "custom":
        ip = ss["wg_endpoint_ip"]
        if ip.is_unspecified():
            return "endpoint IP is not set"
    port = ss["wg_endpoint_port"]
    if provider == "custom":
        if port == 0:
            return "endpoint port is not set"
    elif provider in ("fastestvpn", "nordvpn", "protonvpn", "surfshark"):
        if port != 0:
            return "endpoint port is set"
    elif provider in ("airvpn", "ivpn", "windscribe") and port != 0:
        allowed = {"airvpn": [1637, 47107], "ivpn": [2049, 2050, 53, 30587, 41893, 48574, 58237],
                   "windscribe": [53, 80, 123, 443, 1194, 65142]}[provider]
        err = is_one_of(port, allowed)
        if err:
            return f"endpoint port is not allowed: for VPN service provider {provider}: {err}"
    if provider == "custom" and ss["wg_public_key"] == "":
        return "public key is not set"
    if ss["wg_public_key"]:
        err = wg_parse_key(ss["wg_public_key"])
        if err:
            return f"public key is not valid: {ss['wg_public_key']}: {err}"
    return None


def _validate_port_forwarding(s, gen):
    # internal/configuration/settings/portforward.go Validate
    pf = s["pf"]
    if not pf["enabled"]:
        return None
    selected = pf["provider"] or s["provider"]
    err = is_one_of(selected, port_forward_providers(gen))
    if err:
        return f"port forwarding cannot be enabled: {err}"
    if gen == "latest":
        count = pf["ports_count"]
        maximum = 4 if selected == "protonvpn" else 1
        if count > maximum:
            return f"ports count too high: {count} > {maximum}"
    if selected == "private internet access":
        if pf["username"] == "":
            return "port forwarding username is empty"
        if pf["password"] == "":
            return "port forwarding password is empty"
    if gen == "latest" and pf["listening_ports"] != [0]:
        ports = pf["listening_ports"]
        if len(ports) != pf["ports_count"]:
            return f"listening ports length must be equal to ports count: {len(ports)} != {pf['ports_count']}"
        if 0 in ports:
            return f"listening port cannot be 0: in [{' '.join(str(p) for p in ports)}]"
    return None


def _validate_openvpn(s, gen):
    # internal/configuration/settings/openvpn.go validate
    o, provider = s["openvpn"], s["provider"]
    err = is_one_of(o["version"], ["2.5", "2.6"])
    if err:
        return f"version is not valid: {err}"
    is_custom = provider == "custom"
    user_required = not is_custom and provider not in ("airvpn", "vpnsecure")
    if user_required and o["user"] == "":
        return "user is empty"
    password_required = user_required and (provider != "ivpn" or not _IVPN_ACCOUNT_RE.match(o["user"]))
    if password_required and o["password"] == "":
        return "password is empty"
    if is_custom:
        if o["conf_file"] == "":
            return "custom configuration file: filepath is missing"
        err = file_exists(o["conf_file"])
        if err:
            return f"custom configuration file: {err}"
        # gluetun then extracts the connection from the file (openvpn/extract);
        # its errors are not reproduced here.
    if provider in ("airvpn", "cyberghost", "vpnsecure", "vpn unlimited") and o["cert"] == "":
        return "client certificate: missing value"
    if o["cert"]:
        try:
            go_base64_decode(o["cert"])
        except GoError as e:
            return f"client certificate: {e}"
    key_required = ["airvpn", "cyberghost", "vpn unlimited"] + (["wevpn"] if gen in ("v3.39", "v3.40") else [])
    if provider in key_required and o["key"] == "":
        return "client key: missing value"
    if o["key"]:
        try:
            go_base64_decode(o["key"])
        except GoError as e:
            return f"client key: {e}"
    if provider == "vpnsecure" and o["encrypted_key"] == "":
        return "encrypted key: missing value"
    if o["encrypted_key"]:
        try:
            go_base64_decode(o["encrypted_key"])
        except GoError as e:
            return f"encrypted key: {e}"
    if o["encrypted_key"] and o["key_passphrase"] == "":
        return "key passphrase is empty"
    if o["mssfix"] > 10000:
        return f"mssfix option value is too high: {o['mssfix']} is over the maximum value of 10000"
    if not _INTERFACE_RE.match(o["interface"]):
        return f"interface name is not valid: '{o['interface']}' does not match regex '{REGEX_INTERFACE}'"
    if o["verbosity"] < 0 or o["verbosity"] > 6:
        # gluetun formats the *int pointer with %d: it prints a memory address,
        # not the value; the value is printed here instead.
        return f"verbosity value is out of bounds: {o['verbosity']} can only be between 0 and 5"
    return None


def _validate_wireguard(w, s, gen, ctx, amneziawg=False):
    # internal/configuration/settings/wireguard.go validate
    provider = s["provider"]
    if w["private_key"] == "":
        return "private key is not set"
    err = wg_parse_key(w["private_key"])
    if err:
        err = f"private key is not valid: {err}"
        if provider == "nordvpn" and err.endswith(": wgtypes: incorrect key size: 48"):
            err += " - you might be using your access token instead of the Wireguard private key"
        return err
    if provider == "airvpn" and w["preshared_key"] == "":
        return "pre-shared key is not set"
    if w["preshared_key"]:
        err = wg_parse_key(w["preshared_key"])
        if err:
            return f"pre-shared key is not valid: {err}"
    if not w["addresses"]:
        return "interface address is not set"
    for address in w["addresses"]:
        if not ctx["ipv6_supported"] and address.addr.is6():
            return f"interface address is IPv6 but IPv6 is not supported: address {address}"
    if w["keepalive"] < 0:
        return f"persistent keep alive interval is negative: {go_duration_string(w['keepalive'])}"
    if not _INTERFACE_RE.match(w["interface"]):
        return f"interface name is not valid: '{w['interface']}' does not match regex '{REGEX_INTERFACE}'"
    if not amneziawg:
        err = is_one_of(w["implementation"], ["auto", "userspace", "kernelspace"])
        if err:
            return f"implementation is not valid: {err}"
    return None


def _validate_amneziawg(s, gen, ctx):
    # master internal/configuration/settings/amneziawg.go validate
    a = s["amneziawg"]
    err = _validate_wireguard(a["wireguard"], s, gen, ctx, amneziawg=True)
    if err:
        return f"wireguard settings: {err}"
    jc, jmin, jmax = a["AMNEZIAWG_JC"], a["AMNEZIAWG_JMIN"], a["AMNEZIAWG_JMAX"]
    # gluetun prints jc with %d on a *uint16: a memory address; the value here.
    if jc == 0:
        if jmin != 0 or jmax != 0:
            return ("junk packet count must be set when junk packet min or max is set: "
                    f"jc={jc} and jmin={jmin} and jmax={jmax}")
    elif jmin == 0 or jmax == 0:
        return ("junk packet min and max must be set when junk packet count is set: "
                f"jc={jc} and jmin={jmin} and jmax={jmax}")
    elif jmin > jmax:
        return f"junk packet minimum must be lower than or equal to maximum: jmin={jmin} and jmax={jmax}"
    for name in ("h1", "h2", "h3", "h4"):  # a Go map in gluetun: random order
        value = a["AMNEZIAWG_" + name.upper()]
        if not value:
            continue
        fields = value.split("-")
        if len(fields) > 2:
            return f"header range is malformed: {name} value {value} must be in the form n or n-m"
        for field in fields:
            try:
                go_atoi(field)
            except GoError:
                kind = "is not a number" if len(fields) == 1 else "is not a valid range"
                return f"header range is malformed: {name} value {value} {kind}"
    return None


def _validate_vpn(s, gen, ctx):
    # internal/configuration/settings/vpn.go Validate
    types = ["amneziawg", "openvpn", "wireguard"] if gen == "latest" else ["openvpn", "wireguard"]
    err = is_one_of(s["vpn_type"], types)
    if err:
        return f"VPN type is not valid: {err}"
    # provider.go validate
    if s["vpn_type"] == "openvpn":
        names = openvpn_provider_choices(gen)
    elif s["vpn_type"] == "wireguard":
        names = WIREGUARD_PROVIDERS
    else:
        names = ["custom"]
    err = is_one_of(s["provider"], names)
    if err:
        if gen == "latest":
            return f"provider settings: VPN provider name is not valid for {s['vpn_type']}: {err}"
        # v3.40/v3.41 say "for Wireguard" whatever the VPN type
        return f"provider settings: VPN provider name is not valid for Wireguard: {err}"
    err = _validate_server_selection(s, gen)
    if err:
        return f"provider settings: server selection: {err}"
    err = _validate_port_forwarding(s, gen)
    if err:
        return f"provider settings: port forwarding: {err}"
    if s["vpn_type"] == "openvpn":
        err = _validate_openvpn(s, gen)
        return f"OpenVPN settings: {err}" if err else None
    if s["vpn_type"] == "amneziawg":
        err = _validate_amneziawg(s, gen, ctx)
        return f"AmneziaWG settings: {err}" if err else None
    err = _validate_wireguard(s["wireguard"], s, gen, ctx)
    return f"Wireguard settings: {err}" if err else None


# settings.go Validate: name -> validate function, in the order of gluetun's
# map literal (random order in gluetun).  "<name> settings: ..."
VALIDATE_ORDER = [
    ("control server", _validate_control_server),
    ("dns", _validate_dns),
    ("firewall", _validate_firewall),
    ("health", _validate_health),
    ("log", _validate_log),
    ("VPN", _validate_vpn),
]


# --------------------------------------------------------------------------


def load(environ, generation, ipv6_supported=None, uid=None,
         secrets_dir="/run/secrets", files_dir="/gluetun"):
    """Read and validate like gluetun's start-up; SettingsError on refusal.

    environ is not modified.  ipv6_supported defaults to the IPv6 route
    check of internal/netlink/ipv6.go; uid to os.getuid().
    """
    if generation not in GENERATIONS:
        raise ValueError(f"unknown gluetun generation {generation!r}")
    gen = generation
    r = Reader(environ, secrets_dir, files_dir)
    s = {}
    # cmd/gluetun/main.go: allSettings.Read -> "reading <name> settings: <err>"
    for name, read in READ_ORDER:
        if name in ("IPv6", "boring poll") and gen != "latest":
            continue
        try:
            read(r, s, gen)
        except SettingsError as err:
            raise SettingsError(f"reading {name} settings: {err}") from None
    s["health_icmp_ips"] = s.get("health_icmp_ips")
    s["iptables_log_level"] = s.get("iptables_log_level")
    _set_defaults(s, gen)
    # cmd/gluetun/main.go: log.ParseLevel before anything else is validated
    err = parse_log_level(s["log_level"])
    if err:
        raise SettingsError(f"log level: {err}")
    ctx = {
        "ipv6_supported": detect_ipv6_support(gen) if ipv6_supported is None else ipv6_supported,
        "uid": os.getuid() if uid is None else uid,
    }
    # cmd/gluetun/main.go: allSettings.Validate -> "<name> settings: <err>"
    for name, validate in VALIDATE_ORDER:
        err = validate(s, gen, ctx)
        if err:
            raise SettingsError(f"{name} settings: {err}")
    s["deprecated_keys"] = r.deprecated
    return s
