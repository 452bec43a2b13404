"""Where the API's read path spends its Python time, in one process (cProfile).

Usage: ``.venv/bin/python bench/profile_read_path.py [--calls 3000] [--path /health]
[--sort tottime] [--top 40]`` (same environment variables as bench_read_path.py).

Seeds the same 100,000 trackers as bench_read_path.py in a database of its own, builds the
production app (PostgreSQL + Redis, throttle on with its limit raised) and calls it with
Flask's test client, the callers' tokens in turn; prints the profile of the last ``--calls``
calls (after a warm-up and an unprofiled pass giving the CPU time per call).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from contextlib import ExitStack

import jwt

from adapters.sql import upgrade_database
from bench_queries import USERS, bench_database, seed, user_id
from bench_read_path import REDIS_URL, TOKENS, keys
from entrypoints.config import load_settings
from entrypoints.container import container_for
from entrypoints.http.app import create_app


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--path", default="/api/trackers/me")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--dump", help="also write the profile to this file (pstats)")
    parser.add_argument("--database-url", help="an already seeded database (else a new one)")
    args = parser.parse_args()
    private, pem = keys()
    step = USERS // TOKENS
    headers = [
        {"Authorization": "Bearer " + jwt.encode(
            {"sub": user_id(n * step), "exp": int(time.time()) + 86400}, private, "RS256"
        )}
        for n in range(TOKENS)
    ]  # fmt: skip
    with ExitStack() as stack:
        url = args.database_url
        if url is None:
            url = stack.enter_context(bench_database())
            upgrade_database(url)
            seed(url)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "JWT_PUBLIC_KEY": pem,
            "BOT_API_KEY": "bench-bot-key-0123456789",
            "THROTTLE_LIMIT": "1000000000",
        }
        container = container_for(load_settings(env))
        app = create_app(container)
        client = app.test_client()

        def call(n: int) -> None:
            response = client.get(args.path, headers=headers[n % TOKENS])
            if response.status_code != 200:
                raise RuntimeError(f"{args.path}: {response.status_code} {response.data[:200]!r}")

        for n in range(300):
            call(n)
        cpu = time.process_time()
        for n in range(args.calls):
            call(n)
        cpu = time.process_time() - cpu
        profile = cProfile.Profile(time.process_time)  # CPU time: waits on sockets are left out
        profile.enable()
        for n in range(args.calls):
            call(n)
        profile.disable()
        container.engine().dispose()
    print(f"{args.calls} calls of {args.path}: {cpu / args.calls * 1000:.3f} ms CPU per call "
          "(not profiled; the profile below counts CPU time)")  # fmt: skip
    if args.dump:
        profile.dump_stats(args.dump)
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
