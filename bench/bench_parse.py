"""Benchmark: parsing one tracker.gg profile against ``json.loads`` of the same bytes.

Run: ``.venv/bin/python bench/bench_parse.py``. Both timings come from the same process and
run interleaved; the ratio (median over many rounds) is what matters, not absolute times.
Issue 4 requires ``parse_profile(bytes)`` (which includes its own ``json.loads``) to cost at
most 2x ``json.loads``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import timeit
from pathlib import Path

from adapters.trackergg.parser import parse_profile

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "trn"
PAYLOAD = FIXTURE / "profile-psn-season34.json"
API_URL = "https://api.tracker.gg/api/v2/rocket-league/standard/profile/psn/nssbali_"
LIMIT = 2.0


def measure(payload: bytes, rounds: int, number: int) -> tuple[float, float, float]:
    """Median seconds per call of json.loads and parse_profile, and their median ratio."""
    loads_times, parse_times, ratios = [], [], []
    for _ in range(rounds):
        loads = timeit.timeit(lambda: json.loads(payload), number=number) / number
        parse = timeit.timeit(
            lambda: parse_profile(payload, season=None, api_url=API_URL), number=number
        )
        parse /= number
        loads_times.append(loads)
        parse_times.append(parse)
        ratios.append(parse / loads)
    return statistics.median(loads_times), statistics.median(parse_times), statistics.median(ratios)


def main(argv: list[str] | None = None) -> int:
    """Print the timings and the ratio; exit 1 when the ratio is above the 2x limit."""
    options = argparse.ArgumentParser(description="parse_profile vs json.loads")
    options.add_argument("--rounds", type=int, default=51)
    options.add_argument("--number", type=int, default=200)
    args = options.parse_args(argv)
    payload = PAYLOAD.read_bytes()
    parse_profile(payload, season=None, api_url=API_URL)
    loads, parse, ratio = measure(payload, args.rounds, args.number)
    print(f"payload: {PAYLOAD.name}, {len(payload)} bytes")
    print(f"json.loads(bytes):          {loads * 1e6:8.1f} us (median of {args.rounds} rounds)")
    print(f"parse_profile(bytes):       {parse * 1e6:8.1f} us (median of {args.rounds} rounds)")
    print(f"ratio parse / json.loads:   {ratio:8.2f}x (limit {LIMIT:.1f}x)")
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
