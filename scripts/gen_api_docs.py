"""Write docs/api.md from the OpenAPI document (``--check``: fail if it is out of date)."""

from __future__ import annotations

import sys
from pathlib import Path

from entrypoints.http.api_docs import render_current

TARGET = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def main(argv: list[str]) -> int:
    """Regenerate the file, or with ``--check`` compare it; 1 when it differs."""
    text = render_current()
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is out of date: run python scripts/gen_api_docs.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
