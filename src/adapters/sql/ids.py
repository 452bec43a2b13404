"""CUID-format ids (``^c[a-z0-9]{24}$``): time-ordered prefix, process counter, randomness."""

from __future__ import annotations

import itertools
import secrets
import time

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_COUNTER = itertools.count(secrets.randbelow(36**4))


def _base36(value: int, width: int) -> str:
    digits = []
    for _ in range(width):
        value, digit = divmod(value, 36)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))


def new_cuid() -> str:
    """A new id: ``c`` + 8 chars of milliseconds + 4 of counter + 12 random (base 36).

    The time prefix keeps ids roughly in creation order (good index locality); the counter
    and 62 bits of randomness keep ids from many processes apart.
    """
    millis = time.time_ns() // 1_000_000 % 36**8
    counter = next(_COUNTER) % 36**4
    # One draw for the 12 random digits (one per digit cost most of an insert's id).
    value = (millis * 36**4 + counter) * 36**12 + secrets.randbelow(36**12)
    return "c" + _base36(value, 24)
