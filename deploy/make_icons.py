"""Draw the site's icons (the usual feed symbol, white on orange) as PNG and ICO files.

    python deploy/make_icons.py          # writes feedsvc/web/static/{favicon.ico,icon-*.png}

No imaging library: each pixel is computed (a rounded square, a dot and two quarter rings, with
antialiasing by supersampling), PNG is written with zlib, ICO holds the PNGs (Windows Vista+).
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "feedsvc" / "web" / "static"
ORANGE = (0xE8, 0x6A, 0x17)
WHITE = (0xFF, 0xFF, 0xFF)


def coverage(x: float, y: float) -> tuple[float, float]:
    """(inside the rounded square, inside the white symbol) at a point of the unit square."""
    r = 0.18
    cx, cy = min(max(x, r), 1 - r), min(max(y, r), 1 - r)
    square = 1.0 if (x - cx) ** 2 + (y - cy) ** 2 <= r * r else 0.0
    # The feed symbol: a dot at the bottom left and two rings around it.
    ox, oy = 0.24, 0.76
    d = math.hypot(x - ox, y - oy)
    symbol = d <= 0.09 or ((0.30 <= d <= 0.43 or 0.55 <= d <= 0.68) and x >= ox - 0.02 and y <= oy + 0.02)
    return square, 1.0 if symbol else 0.0


def pixels(size: int, samples: int = 4) -> bytes:
    rows = bytearray()
    for j in range(size):
        rows.append(0)  # PNG filter: none
        for i in range(size):
            sq = sym = 0.0
            for a in range(samples):
                for b in range(samples):
                    s, y = coverage((i + (a + 0.5) / samples) / size, (j + (b + 0.5) / samples) / size)
                    sq += s
                    sym += y * s
            n = samples * samples
            alpha, white = sq / n, (sym / sq if sq else 0.0)
            color = [round(o + (w - o) * white) for o, w in zip(ORANGE, WHITE)]
            rows += bytes(color) + bytes([round(alpha * 255)])
    return bytes(rows)


def png(size: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels(size), 9)) + chunk(
        b"IEND", b"")


def ico(images: list[tuple[int, bytes]]) -> bytes:
    head = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, data = b"", b""
    for size, image in images:
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(image), offset + len(data))
        data += image
    return head + entries + data


if __name__ == "__main__":
    STATIC.mkdir(parents=True, exist_ok=True)
    (STATIC / "favicon.ico").write_bytes(ico([(16, png(16)), (32, png(32)), (48, png(48))]))
    for size in (64, 144, 512):
        (STATIC / f"icon-{size}.png").write_bytes(png(size))
    print("wrote favicon.ico and icon-64.png, icon-144.png, icon-512.png in", STATIC)
