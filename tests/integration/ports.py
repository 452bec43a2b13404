"""Ports for the tests' private servers, which they stop and start again on the same port.

A port from ``bind(("127.0.0.1", 0))`` lies in the kernel's ephemeral range: while such a server
is down, any process may be given its port, as a source port of an outgoing connection or as
another test's "free" port, and the restarted server then fails to bind, or the client reaches
someone else's server. A reserved port lies below that range, where the kernel hands out no
ports by itself, and is held by a lock file shared by every test process of this machine, so
two private servers of parallel test workers never get the same one. The lock files stay,
empty (removing one would race with a process that has just opened it).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import socket
import tempfile
from pathlib import Path

_LOCKS = Path(tempfile.gettempdir()) / "tracker-test-ports"
_LOWEST = 20000


def _ephemeral_low() -> int:
    """The first port of the kernel's ephemeral range (Linux's default when it cannot tell)."""
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
    except OSError:
        return 32768
    return int(text.split()[0])


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class ReservedPort:
    """A loopback port below the ephemeral range, this process's until :meth:`release`."""

    def __init__(self, attempts: int = 200) -> None:
        _LOCKS.mkdir(exist_ok=True)
        high = _ephemeral_low()
        low = _LOWEST if high > _LOWEST + 1000 else 1024
        rng = random.Random()
        for _ in range(attempts):
            port = rng.randrange(low, high)
            fd = os.open(_LOCKS / f"{port}.lock", os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            if _bindable(port):
                self.port = port
                self._fd: int | None = fd
                return
            os.close(fd)  # in use by a server not of these tests
        raise RuntimeError(f"no free port below {high} after {attempts} tries")

    def release(self) -> None:
        """Let another test have the port (closing the lock file unlocks it)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
