"""A private PostgreSQL server the test owns: it may stop and restart it (never the shared one).

``initdb`` into a temporary directory (trust auth, no fsync), listening on a free loopback port
with its socket in that directory; ``pg_ctl`` starts, restarts and stops it, and a server that
``pg_ctl`` could not stop is killed by the PID in its ``postmaster.pid``. PostgreSQL refuses to
run as root: under root the server runs as the ``postgres`` system user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.ports import ReservedPort


def _as_server_user() -> dict[str, Any]:
    """``subprocess`` arguments that run a command as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return {}
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("running as root and there is no 'postgres' user to run a private server")
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


class PrivatePostgres:
    def __init__(self) -> None:
        self._port = ReservedPort()
        self.port = self._port.port
        self.root = Path(tempfile.mkdtemp(prefix="private-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._user = _as_server_user()
        if self._user:
            os.chown(self.root, self._user["user"], self._user["group"])

    def init(self) -> None:
        """``initdb`` the data directory."""
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync", "--no-instructions")  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run(
            list(args), capture_output=True, text=True, timeout=timeout, check=False, **self._user
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stdout}{done.stderr}")

    def _ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        self._run("pg_ctl", action, "-D", str(self.data), "-w", "-t", "30",
                  "-l", str(self.log), "-o", options, *extra)  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every session is ended, the server comes back."""
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        """``pg_ctl stop -m fast``; if it cannot, SIGKILL the postmaster by its PID."""
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return
        try:
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w", "-t", "20")
        except (RuntimeError, subprocess.TimeoutExpired):
            if pid_file.exists():
                pid = int(pid_file.read_text().split()[0])
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            raise

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        self._port.release()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A private PostgreSQL server, started; stopped and deleted at the end, always."""
    for tool in ("initdb", "pg_ctl"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not on PATH")
    server = PrivatePostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        try:
            server.stop()
        finally:
            server.remove()
