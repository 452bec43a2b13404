"""Benchmark: a fresh clone's first answered request of the README's quick start.

Run: ``python3 bench/bench_first_run.py`` (any Python 3.11+; it needs nothing installed).
It clones this repository's committed ``HEAD`` into a temporary folder, empties the package
caches (fresh ``UV_CACHE_DIR`` and ``PIP_CACHE_DIR``), runs ``bash scripts/serve.sh --port
<free port>`` there and polls ``GET http://127.0.0.1:<port>/health`` until it answers 200.
It prints the setup lines, the seconds from start to the first answer (and how much of it
setup took), then stops the server by its PID and deletes the folder. Issue 15 requires at most
30 s; the script exits 1 above ``--limit``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 30.0
SETTINGS = (
    "DATABASE_URL", "REDIS_URL", "JWT_PUBLIC_KEY", "JWT_PRIVATE_KEY", "BOT_API_KEY",
    "TRN_API_BASE_URL", "FLARESOLVERR_URL", "TRACKERS_SANDBOX", "TRACKERS_DATA_DIR",
    "VIRTUAL_ENV", "UV_CACHE_DIR", "PIP_CACHE_DIR",
)  # fmt: skip


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def healthy(url: str) -> bool:
    """Whether ``url`` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server by its PID (serve.sh execs it), then its process group if it lingers."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def first_run(folder: Path, timeout: float) -> tuple[float, str]:
    """Clone, start the quick start, wait for /health; (seconds, the server's output)."""
    clone = folder / "tracker-service"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env |= {"UV_CACHE_DIR": str(folder / "uv-cache"), "PIP_CACHE_DIR": str(folder / "pip-cache")}
    port = free_port()
    url = f"http://127.0.0.1:{port}/health"
    output = folder / "serve.log"
    with output.open("wb") as log:
        started = time.monotonic()
        proc = subprocess.Popen(
            ["bash", "scripts/serve.sh", "--port", str(port)],
            cwd=clone,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        while not healthy(url):
            if proc.poll() is not None:
                sys.exit(f"serve.sh exited with {proc.returncode}:\n{output.read_text()}")
            if time.monotonic() - started > timeout:
                sys.exit(f"no answer from {url} within {timeout} s:\n{output.read_text()}")
            time.sleep(0.2)
        seconds = time.monotonic() - started
    finally:
        stop(proc)
    return seconds, output.read_text(errors="replace")


def main(argv: list[str] | None = None) -> int:
    """Print the first-run time; exit 1 when it is above the limit."""
    options = argparse.ArgumentParser(description="fresh clone → first answered /health")
    options.add_argument("--limit", type=float, default=LIMIT, help="seconds allowed")
    options.add_argument("--timeout", type=float, default=300, help="give up after (seconds)")
    args = options.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="trackers-first-run-"))
    try:
        seconds, output = first_run(folder, args.timeout)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    setup_lines = [line for line in output.splitlines() if line.startswith("setup: ")]
    print("\n".join(setup_lines))
    print(f"first answered GET /health after {seconds:.1f} s (limit {args.limit:.0f} s)")
    return 0 if seconds <= args.limit else 1


if __name__ == "__main__":
    sys.exit(main())
