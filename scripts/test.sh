#!/usr/bin/env bash
# The one check command: sets up .venv from requirements/lock.txt if needed, then ruff
# (format + lint) and mypy --strict on src, tests, bench and scripts, import-linter and the
# test suite on pytest-xdist workers (PYTEST_WORKERS, default auto; 0 runs it in one
# process). Tests marked xdist_group("timing") share one worker. The parallel run must report exactly the tests a
# serial collection finds (scripts/check_test_count.py). Any failure (including "no tests
# ran") fails it.
#
# Lanes: by default the tests marked `slow` (long fault and load tests: worker kills, Redis and
# PostgreSQL restarts, schemathesis on PostgreSQL, the budget over minutes) are left out, so
# the check stays within a few minutes. `--all` (first argument) runs them too; CI does
# (.ci/run). Other arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
# The check starts many Python processes (xdist workers, servers, CLI commands); without
# bytecode caches each one compiles the project and its tests from source again, and pytest
# rewrites every test module's asserts again. Caches go to __pycache__ (ignored by git).
unset PYTHONDONTWRITEBYTECODE
bash scripts/setup.sh
VENV=.venv/bin
lane=(-m "not slow")
if [ "${1:-}" = "--all" ]; then
  lane=()
  shift
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The serial collection runs beside the linters (it only imports the tests).
"$VENV/pytest" --collect-only -q -p no:xdist -p no:cacheprovider ${lane[@]+"${lane[@]}"} "$@" >"$work/collected.txt" 2>&1 &
collecting=$!
echo "== ruff format --check"; "$VENV/ruff" format --check src tests bench scripts
echo "== ruff check"; "$VENV/ruff" check src tests bench scripts
echo "== mypy --strict"; "$VENV/mypy"
echo "== mypy --strict (bench, scripts)"; "$VENV/mypy" bench scripts
echo "== lint-imports"; "$VENV/lint-imports"
if ! wait "$collecting"; then
  echo "== serial collection failed:"; tail -n 30 "$work/collected.txt"; exit 1
fi
echo "== pytest (workers: ${PYTEST_WORKERS:-auto}; ${lane[*]:-all lanes})"
"$VENV/pytest" -q -n "${PYTEST_WORKERS:-auto}" --dist loadgroup --junitxml="$work/junit.xml" \
  ${lane[@]+"${lane[@]}"} "$@"
echo "== same test count with and without xdist"
"$VENV/python" scripts/check_test_count.py "$work/collected.txt" "$work/junit.xml"
echo "== all checks passed in ${SECONDS} s"
