"""A private redis-server the test owns: it may stop, kill and restart it (never the shared one).

It listens on a reserved loopback port (:mod:`tests.integration.ports`), keeps nothing on disk
(``--save ''``) and is stopped by its PID, so a restart comes back empty, as a Redis without
persistence does. A start checks that the server answering on the port is its own.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from tests.integration.ports import ReservedPort


class PrivateRedis:
    def __init__(self, workdir: Path) -> None:
        self._port = ReservedPort()
        self.port = self._port.port
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.proc is None, "already running"
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(
            ["redis-server", *args, "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                answering = client.info("server")["process_id"]
                # a server that is not this one (the port taken while it was down) is an error
                assert answering == self.proc.pid, f"port {self.port} is answered by another server"
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(
                        f"private redis-server on {self.port} did not start"
                    ) from None
                time.sleep(0.02)
            finally:
                client.close()

    def release(self) -> None:
        """Stop the server and give up its port."""
        self.stop()
        self._port.release()

    def stop(self) -> None:
        """Stop the server (by its PID) and wait until it is gone."""
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait(10)
        self.proc = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=5)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A private redis-server, not started yet; stopped at the end."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not on PATH")
    server = PrivateRedis(tmp_path)
    try:
        yield server
    finally:
        server.release()
