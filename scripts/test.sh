#!/usr/bin/env bash
# The one check command: sets up .venv from requirements/lock.txt if needed, then ruff
# (format + lint), mypy --strict, import-linter and the whole pytest suite. Any failure
# (including "no tests ran") fails it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
VENV=.venv/bin
echo "== ruff format --check"; "$VENV/ruff" format --check src tests bench
echo "== ruff check"; "$VENV/ruff" check src tests bench
echo "== mypy --strict"; "$VENV/mypy"
echo "== lint-imports"; "$VENV/lint-imports"
echo "== pytest"; "$VENV/pytest" -q "$@"
echo "== all checks passed in ${SECONDS} s"
