#!/usr/bin/env python3
"""Draw the app and tray icons (RGBA PNGs and an .icns) into icons/.

The app icon is drawn once, at 1024 px (icons/app-icon.png, the source);
every bundle size and the .icns's entries are that image scaled down.
Tray icons come in two looks per state: coloured (Linux, Windows) and a
black template (macOS, tinted by the menu bar). Standard library only.
"""
import math
import os
import struct
import sys
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "icons")

STATES = {
    # state: (colour, glyph)
    "protected": ((46, 160, 67), "check"),
    "connecting": ((210, 153, 34), "dots"),
    "disconnected": ((110, 118, 129), "dash"),
    "killswitch": ((219, 109, 40), "bar"),
    "leak": ((218, 54, 51), "bang"),
    "error": ((218, 54, 51), "cross"),
    "docker-down": ((110, 118, 129), "slash"),
}


def png(width, height, pixels):
    raw = b"".join(b"\x00" + bytes(pixels[y * width * 4:(y + 1) * width * 4]) for y in range(height))
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def in_shield(x, y):
    """Unit square coordinates (0..1). A shield: flat top with rounded corners, pointed bottom."""
    if y < 0.08 or y > 0.94:
        return False
    half = 0.40 if y < 0.55 else 0.40 * (1 - ((y - 0.55) / 0.39) ** 1.4)
    return abs(x - 0.5) <= half


def dist_seg(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def in_glyph(glyph, x, y):
    w = 0.075
    if glyph == "check":
        return dist_seg(x, y, 0.32, 0.48, 0.45, 0.62) < w or dist_seg(x, y, 0.45, 0.62, 0.68, 0.36) < w
    if glyph == "dots":
        return any(math.hypot(x - cx, y - 0.47) < 0.065 for cx in (0.32, 0.5, 0.68))
    if glyph == "dash":
        return dist_seg(x, y, 0.33, 0.47, 0.67, 0.47) < w
    if glyph == "bar":
        return dist_seg(x, y, 0.41, 0.33, 0.41, 0.62) < w or dist_seg(x, y, 0.59, 0.33, 0.59, 0.62) < w
    if glyph == "bang":
        return dist_seg(x, y, 0.5, 0.26, 0.5, 0.54) < w or math.hypot(x - 0.5, y - 0.69) < 0.07
    if glyph == "cross":
        return dist_seg(x, y, 0.35, 0.32, 0.65, 0.62) < w or dist_seg(x, y, 0.65, 0.32, 0.35, 0.62) < w
    if glyph == "slash":
        return dist_seg(x, y, 0.33, 0.66, 0.67, 0.28) < w
    return False


def draw(size, colour, glyph, template, ss=4):
    """RGBA pixels (straight alpha) of one icon, `ss`² samples per pixel."""
    px = bytearray(size * size * 4)
    for j in range(size):
        for i in range(size):
            cover = hole = 0
            for sj in range(ss):
                for si in range(ss):
                    x = (i + (si + 0.5) / ss) / size
                    y = (j + (sj + 0.5) / ss) / size
                    if in_shield(x, y):
                        cover += 1
                        if in_glyph(glyph, x, y):
                            hole += 1
            n = ss * ss
            o = (j * size + i) * 4
            if template:
                a = (cover - hole) / n
                px[o:o + 4] = bytes((0, 0, 0, round(255 * a)))
            else:
                if cover == 0:
                    continue
                g = hole / cover
                r, gg, b = (round(c * (1 - g) + 255 * g) for c in colour)
                px[o:o + 4] = bytes((r, gg, b, round(255 * cover / n)))
    return px


def scale_down(px, size, factor):
    """Average each factor x factor block (alpha-weighted colour)."""
    out_size = size // factor
    out = bytearray(out_size * out_size * 4)
    for j in range(out_size):
        for i in range(out_size):
            r = g = b = a = 0
            for y in range(j * factor, (j + 1) * factor):
                row = y * size
                for x in range(i * factor, (i + 1) * factor):
                    o = (row + x) * 4
                    w = px[o + 3]
                    r += px[o] * w
                    g += px[o + 1] * w
                    b += px[o + 2] * w
                    a += w
            o = (j * out_size + i) * 4
            if a:
                out[o:o + 4] = bytes((round(r / a), round(g / a), round(b / a), round(a / (factor * factor))))
    return out


def icns(entries):
    body = b"".join(kind + struct.pack(">I", len(data) + 8) + data for kind, data in entries)
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def main():
    os.makedirs(OUT, exist_ok=True)
    tray = os.path.join(OUT, "tray")
    os.makedirs(tray, exist_ok=True)
    for state, (colour, glyph) in STATES.items():
        with open(os.path.join(tray, f"{state}.png"), "wb") as f:
            f.write(png(64, 64, draw(64, colour, glyph, False)))
        with open(os.path.join(tray, f"{state}-template.png"), "wb") as f:
            f.write(png(44, 44, draw(44, colour, glyph, True)))
    colour, glyph = STATES["protected"]
    source = draw(1024, colour, glyph, False, ss=2)
    images = {1024: png(1024, 1024, source)}
    with open(os.path.join(OUT, "app-icon.png"), "wb") as f:
        f.write(images[1024])
    sizes = {"32x32.png": 32, "128x128.png": 128, "128x128@2x.png": 256, "icon.png": 512}
    for name, size in sizes.items():
        images[size] = png(size, size, scale_down(source, 1024, 1024 // size))
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(images[size])
    with open(os.path.join(OUT, "icon.icns"), "wb") as f:
        f.write(icns([(b"ic07", images[128]), (b"ic08", images[256]), (b"ic09", images[512]),
                      (b"ic10", images[1024])]))
    print(f"icons written to {os.path.normpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
