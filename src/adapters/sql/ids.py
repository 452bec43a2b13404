"""CUID-format ids (``^c[a-z0-9]{24}$``): time-ordered prefix, process counter, randomness."""

from __future__ import annotations

import itertools
import secrets
import time

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_COUNTER = itertools.count(secrets.randbelow(36**4))


_PAIRS = tuple(a + b for a in _ALPHABET for b in _ALPHABET)  # two base-36 digits per step


def _base36(value: int, width: int) -> str:
    """``value`` in ``width`` base-36 digits (``width`` even)."""
    pairs = []
    for _ in range(width // 2):
        value, pair = divmod(value, 36 * 36)
        pairs.append(_PAIRS[pair])
    pairs.reverse()
    return "".join(pairs)


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
