"""The parallel run ran exactly the tests a serial collection finds.

Usage: check_test_count.py COLLECTED_TXT JUNIT_XML

COLLECTED_TXT is the output of ``pytest --collect-only -q -p no:xdist`` (same arguments as the
run); JUNIT_XML is the ``--junitxml`` report of the run under pytest-xdist. Exits 1, naming both
numbers, when they differ (a test lost or run twice by the distribution).
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def collected_count(text: str) -> int:
    match = re.search(r"^(\d+) tests? collected", text, re.MULTILINE)
    if match is None:
        match = re.search(r"^(\d+)/\d+ tests collected", text, re.MULTILINE)
    if match is None:
        raise SystemExit("check_test_count: no 'N tests collected' line in the collection output")
    return int(match[1])


def reported_ids(junit_xml: str) -> list[str]:
    root = ET.fromstring(junit_xml)
    return [f"{case.get('classname')}::{case.get('name')}" for case in root.iter("testcase")]


def main(argv: list[str]) -> int:
    collected = collected_count(Path(argv[1]).read_text())
    ids = reported_ids(Path(argv[2]).read_text())
    if len(ids) != collected or len(set(ids)) != len(ids):
        print(
            f"check_test_count: collected {collected} tests serially, the parallel run reported "
            f"{len(ids)} ({len(set(ids))} distinct)"
        )
        return 1
    print(f"check_test_count: {collected} tests collected serially, {len(ids)} run in parallel")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
