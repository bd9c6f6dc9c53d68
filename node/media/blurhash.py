"""BlurHash (https://blurha.sh): a few bytes of text that Mastodon and other clients paint while an image loads.

Our own encoder of Wolt's published algorithm (the reference is about sixty lines of TypeScript): the sum of cosines
over a thumbnail of at most 32 x 32 pixels costs about 3 ms, so a native package buys nothing, and the
pure-Python ``blurhash`` on PyPI (which gives the same hashes: compared on 30 random images) would be a
dependency for the same few lines.
"""

from __future__ import annotations

import math
from typing import Sequence

__all__ = ["encode"]

_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"


def _base83(value: int, length: int) -> str:
    return "".join(_CHARS[(value // 83 ** (length - i - 1)) % 83] for i in range(length))


def _to_linear(value: int) -> float:
    v = value / 255
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def _to_srgb(value: float) -> int:
    v = max(0.0, min(1.0, value))
    return int(v * 12.92 * 255 + 0.5) if v <= 0.0031308 else int((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5)


def _sign_pow(value: float, exp: float) -> float:
    return math.copysign(abs(value) ** exp, value)


def encode(pixels: Sequence[tuple[int, int, int]], width: int, height: int, *, x_components: int = 4,
           y_components: int = 3) -> str:
    """The BlurHash of ``width`` x ``height`` RGB pixels (row by row); Mastodon uses 4 x 3 components."""
    if not (1 <= x_components <= 9 and 1 <= y_components <= 9) or width * height != len(pixels) or not pixels:
        raise ValueError("1 to 9 components each way, and width x height pixels")
    linear = [(_to_linear(r), _to_linear(g), _to_linear(b)) for r, g, b in pixels]
    factors = []
    for j in range(y_components):
        cos_y = [math.cos(math.pi * j * y / height) for y in range(height)]
        for i in range(x_components):
            cos_x = [math.cos(math.pi * i * x / width) for x in range(width)]
            r = g = b = 0.0
            for y in range(height):
                row = y * width
                for x in range(width):
                    basis = cos_x[x] * cos_y[y]
                    pr, pg, pb = linear[row + x]
                    r, g, b = r + basis * pr, g + basis * pg, b + basis * pb
            scale = (1 if i == j == 0 else 2) / (width * height)
            factors.append((r * scale, g * scale, b * scale))
    dc, ac = factors[0], factors[1:]
    text = _base83(x_components - 1 + (y_components - 1) * 9, 1)
    if ac:
        quantised = max(0, min(82, math.floor(max(abs(v) for f in ac for v in f) * 166 - 0.5)))
        maximum = (quantised + 1) / 166
        text += _base83(quantised, 1)
    else:
        maximum = 1.0
        text += _base83(0, 1)
    text += _base83((_to_srgb(dc[0]) << 16) + (_to_srgb(dc[1]) << 8) + _to_srgb(dc[2]), 4)
    for factor in ac:
        q = [max(0, min(18, math.floor(_sign_pow(v / maximum, 0.5) * 9 + 9.5))) for v in factor]
        text += _base83(q[0] * 19 * 19 + q[1] * 19 + q[2], 2)
    return text
