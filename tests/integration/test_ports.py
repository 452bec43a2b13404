"""Reserved ports of the private servers: below the ephemeral range, one holder at a time."""

from __future__ import annotations

import fcntl
import os

import pytest
from tests.integration.ports import _LOCKS, ReservedPort, _ephemeral_low


def test_reserved_ports_are_distinct_bindable_and_below_the_ephemeral_range() -> None:
    held = [ReservedPort() for _ in range(20)]
    try:
        ports = [r.port for r in held]
        assert len(set(ports)) == len(ports)
        assert all(1024 <= p < _ephemeral_low() for p in ports)
    finally:
        for r in held:
            r.release()


def test_a_reserved_port_is_locked_until_released() -> None:
    reserved = ReservedPort()
    fd = os.open(_LOCKS / f"{reserved.port}.lock", os.O_RDWR)
    try:
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        reserved.release()
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free for the next test now
    finally:
        os.close(fd)
