"""The API's read path under load, as a ratio to bare Flask views doing the same work.

Usage: ``.venv/bin/python bench/bench_read_path.py [--rounds 5] [--seconds 5]`` (needs ``wrk``
on PATH; env ``BENCH_POSTGRES_URL``: the maintenance database, default
``postgresql://postgres@127.0.0.1:5432/postgres``; ``BENCH_REDIS_URL``, default
``redis://127.0.0.1:6379/0``).

It creates its own database, migrates it, seeds 100,000 trackers of 25,000 users (as
bench_queries.py), then starts two servers with the same gunicorn settings as
``trackers serve --workers 2`` (2 processes × 4 threads, ``gthread``, access log through the
project's redacting logger, to /dev/null):

- the API: ``trackers serve --workers 2`` in production mode (PostgreSQL + Redis, throttle on,
  its limit raised so that no request is refused; ``HEALTH_CACHE_SECONDS=0`` so that each
  ``/health`` checks the database and the queue, as the floor does);
- the floor: ``bench/bare_app.py``, bare Flask views (JWT check + the same indexed SELECT with
  psycopg; ``SELECT 1`` + the queue-depth pipeline for health).

The load generator is wrk (C, epoll; one thread, 50 keep-alive connections; a Lua script
spreads the requests over 200 users with valid RS256 tokens). Each round runs
API ``/api/trackers/me`` and bare ``/me``, then API ``/health`` and bare ``/health``, for
``--seconds`` each, as one-second wrk runs in which the two sides take turns (each first in
turn, so that a drift of this shared machine's speed within a round falls on both alike),
each opening its 50 connections again: gunicorn's
two processes race to accept a burst of connections, and one of them sometimes takes all 50
and keeps them (then one core serves the whole run, whichever app it is). Short runs give
both apps many draws of that race instead of one. Reported: requests/s, p99 latency (median
of the slices), server CPU per request (utime+stime of the gunicorn processes, from /proc),
the share of the busier worker process in that CPU (0.5: balanced), medians and ranges over
the rounds, and the ratios API / floor of the requests/s (per round, then the median) and of
the CPU per request (floor / API). Exits 1 when a goal is missed (``/me`` ≥ 0.7×, ``/health``
≥ 0.8×, on requests/s). Results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.sql import upgrade_database
from bench_queries import USERS, bench_database, seed, user_id

HERE = Path(__file__).resolve().parent
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
TOKENS = 200
GOALS = {"me": 0.7, "health": 0.8}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, path: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
                if b" 200 " in sock.recv(64).split(b"\r\n")[0]:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} not ready")


@contextmanager
def server(command: list[str], env: dict[str, str], port: int, ready: str) -> Iterator[int]:
    """Start a gunicorn server in its own process group; yields the master's pid."""
    proc = subprocess.Popen(
        command,
        env=env,
        cwd=HERE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_ready(port, ready)
        yield proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def worker_cpu(master: int) -> dict[int, float]:
    """utime+stime (s) of the master and of each of its worker processes, by pid."""
    pids = [master]
    children = Path(f"/proc/{master}/task/{master}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    found: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return found


def wrk_script(tokens: list[str], directory: Path) -> Path:
    path = directory / "tokens.lua"
    quoted = ",\n".join(f'  "Bearer {t}"' for t in tokens)
    path.write_text(
        f"local tokens = {{\n{quoted}\n}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #tokens + 1\n"
        '  return wrk.format("GET", nil, {["Authorization"] = tokens[i]})\n'
        "end\n"
    )
    return path


def run_wrk(url: str, script: Path, seconds: int) -> tuple[int, float, int]:
    """(requests, p99 ms, non-2xx responses) of one wrk run."""
    out = subprocess.run(
        ["wrk", "-t1", "-c50", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    p99_value, p99_unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99 = float(p99_value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99_unit]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return requests, p99, int(bad.group(1)) if bad else 0


class Tally:
    """One side's one-second wrk runs of a round: requests, wall time, p99s, and the CPU its
    gunicorn processes spent during them (by pid)."""

    def __init__(self, url: str, script: Path, master: int) -> None:
        self.url, self.script, self.master = url, script, master
        self.requests, self.elapsed = 0, 0.0
        self.p99s: list[float] = []
        self.spent: dict[int, float] = {}

    def run_slice(self) -> None:
        before = worker_cpu(self.master)
        started = time.monotonic()
        done, p99, bad = run_wrk(self.url, self.script, 1)
        self.elapsed += time.monotonic() - started
        if bad:
            raise RuntimeError(f"{bad} non-2xx answers from {self.url}")
        for pid, cpu in worker_cpu(self.master).items():
            self.spent[pid] = self.spent.get(pid, 0.0) + cpu - before.get(pid, 0.0)
        self.requests += done
        self.p99s.append(p99)

    def result(self) -> tuple[float, ...]:
        """(requests/s, p99 ms, server CPU ms per request, busier worker's share of the CPU)."""
        spent = self.spent
        workers = sorted((cpu for pid, cpu in spent.items() if pid != self.master), reverse=True)
        busier = workers[0] / sum(workers) if workers and sum(workers) else 1.0
        return (
            self.requests / self.elapsed,
            statistics.median(self.p99s),
            sum(spent.values()) / self.requests * 1000,
            busier,
        )


def keys() -> tuple[rsa.RSAPrivateKey, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, pem.decode()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk not found on PATH (Debian/Ubuntu: apt-get install wrk)")
        return 2
    private, pem = keys()
    step = USERS // TOKENS
    tokens = [
        jwt.encode({"sub": user_id(n * step), "exp": int(time.time()) + 86400}, private, "RS256")
        for n in range(TOKENS)
    ]
    gunicorn_options = [
        "--workers=2",
        "--worker-class=gthread",
        "--threads=4",
        "--timeout=60",
        "--access-logfile=-",
        "--error-logfile=-",
        "--logger-class=entrypoints.runtime.access_log.RedactingGunicornLogger",
    ]
    bin_dir = Path(sys.executable).parent
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        url = stack.enter_context(bench_database())
        upgrade_database(url)
        seed(url)
        script = wrk_script(tokens, Path(tmp))
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "BARE_DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "JWT_PUBLIC_KEY": pem,
            "BOT_API_KEY": "bench-bot-key-0123456789",
            "THROTTLE_LIMIT": "1000000000",
            # Like the floor: the database and queue checks on every call (the API's default
            # reuses a passing result for 1 s, which a flood of probes would mostly hit).
            "HEALTH_CACHE_SECONDS": "0",
        }
        api_port, bare_port = free_port(), free_port()
        api = stack.enter_context(
            server(
                [str(bin_dir / "trackers"), "serve", "--workers", "2", "--port", str(api_port)],
                env,
                api_port,
                "/health",
            )
        )
        bare = stack.enter_context(
            server(
                [
                    str(bin_dir / "gunicorn"),
                    *gunicorn_options,
                    f"--bind=127.0.0.1:{bare_port}",
                    "bare_app:create_bare_app()",
                ],
                env,
                bare_port,
                "/health",
            )
        )
        cases = {
            "me": (f"http://127.0.0.1:{api_port}/api/trackers/me", f"http://127.0.0.1:{bare_port}/me"),
            "health": (f"http://127.0.0.1:{api_port}/health", f"http://127.0.0.1:{bare_port}/health"),
        }  # fmt: skip
        for case in cases.values():  # warm-up: connections, caches, the throttle's script
            for target in case:
                run_wrk(target, script, 1)
        results: dict[tuple[str, str], list[tuple[float, ...]]] = {}
        for r in range(args.rounds):
            for name, (api_url, bare_url) in cases.items():
                sides = {"api": Tally(api_url, script, api), "bare": Tally(bare_url, script, bare)}
                for n in range(args.seconds):  # the two sides take turns, each first in turn
                    order = ("api", "bare") if (r + n) % 2 == 0 else ("bare", "api")
                    for side in order:
                        sides[side].run_slice()
                for side, tally in sides.items():
                    results.setdefault((name, side), []).append(tally.result())
    return report(results, args.rounds, args.seconds)


def spread(values: list[float], digits: int = 1) -> str:
    return (
        f"{statistics.median(values):.{digits}f} "
        f"({min(values):.{digits}f}-{max(values):.{digits}f})"
    )


def report(results: dict[tuple[str, str], list[tuple[float, ...]]], rounds: int,
           seconds: int) -> int:  # fmt: skip
    print(f"{rounds} rounds of {seconds} x 1 s wrk runs per case; wrk -t1 -c50; median (min-max)")
    print(
        f"{'case':<13} {'requests/s':>22} {'p99 ms':>20} {'server CPU ms/req':>18} "
        f"{'busier worker':>16}"
    )
    failed = False
    for name in ("me", "health"):
        for side in ("api", "bare"):
            runs = results[(name, side)]
            print(
                f"{name + ' ' + side:<13} {spread([r[0] for r in runs]):>22} "
                f"{spread([r[1] for r in runs], 2):>20} {spread([r[2] for r in runs], 2):>18} "
                f"{spread([r[3] for r in runs], 2):>16}"
            )
        api, bare = results[(name, "api")], results[(name, "bare")]
        ratios = [a[0] / b[0] for a, b in zip(api, bare, strict=True)]
        cpu_ratios = [b[2] / a[2] for a, b in zip(api, bare, strict=True)]
        median = statistics.median(ratios)
        ok = median >= GOALS[name]
        failed |= not ok
        print(
            f"ratio {name} api/bare requests/s: {spread(ratios, 2)} "
            f"(goal >= {GOALS[name]}) {'ok' if ok else 'MISSED'}; "
            f"CPU per request bare/api: {spread(cpu_ratios, 2)}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
