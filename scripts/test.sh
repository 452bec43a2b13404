#!/usr/bin/env bash
# The one check command: sets up .venv from requirements/lock.txt if needed, then ruff
# (format + lint), mypy --strict (src and tests), import-linter and the whole pytest suite on
# pytest-xdist workers (PYTEST_WORKERS, default auto; 0 runs it in one process). Tests marked
# xdist_group("timing") share one worker. The parallel run must report exactly the tests a
# serial collection finds (scripts/check_test_count.py). Any failure (including "no tests
# ran") fails it. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
VENV=.venv/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The serial collection runs beside the linters (it only imports the tests).
"$VENV/pytest" --collect-only -q -p no:xdist -p no:cacheprovider "$@" >"$work/collected.txt" 2>&1 &
collecting=$!
echo "== ruff format --check"; "$VENV/ruff" format --check src tests bench
echo "== ruff check"; "$VENV/ruff" check src tests bench
echo "== mypy --strict"; "$VENV/mypy"
echo "== lint-imports"; "$VENV/lint-imports"
if ! wait "$collecting"; then
  echo "== serial collection failed:"; tail -n 30 "$work/collected.txt"; exit 1
fi
echo "== pytest (workers: ${PYTEST_WORKERS:-auto})"
"$VENV/pytest" -q -n "${PYTEST_WORKERS:-auto}" --dist loadgroup --junitxml="$work/junit.xml" "$@"
echo "== same test count with and without xdist"
"$VENV/python" scripts/check_test_count.py "$work/collected.txt" "$work/junit.xml"
