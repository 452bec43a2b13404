#!/usr/bin/env bash
# Creates .venv and installs the locked dependencies (requirements/lock.txt: exact versions with
# hashes, the dev extra included), then the project itself, editable and without dependencies.
#
# Installs with uv (bootstrapped into .venv from PyPI with pip) and falls back to plain pip,
# from the same lock, when uv cannot be installed or fails. SETUP_INSTALLER=pip forces pip.
# Packages are compiled to bytecode as they are installed, so that every process the service
# and the check start (workers, servers, CLI commands) reads .pyc files instead of compiling
# ~700 modules from source, even where PYTHONDONTWRITEBYTECODE is set (about 1.4 s of CPU each).
# One line per step. Idempotent: nothing to do (and nothing slow) until requirements/lock.txt or
# pyproject.toml changes; then it installs again. Details of each install go to .venv/setup.log.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
LOCK=requirements/lock.txt
VENV=.venv
STAMP=$VENV/.installed-lock
LOG=$VENV/setup.log
UV_SPEC='uv>=0.5,<1'
started=$SECONDS

say() { echo "setup: $*"; }
fail() {
  say "FAILED: $1 (last lines of $LOG below)"
  tail -n 30 "$LOG" >&2 || true
  exit 1
}

# The fingerprint covers what is installed and how (bump SETUP_VERSION when the how changes).
SETUP_VERSION=2
fingerprint=$( (echo "$SETUP_VERSION"; cat pyproject.toml "$LOCK") | cksum)
if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$fingerprint" ]; then
  say ".venv is up to date with $LOCK"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV ($("$PY" --version 2>&1))"
  "$PY" -m venv "$VENV"
fi
: >"$LOG"
rm -f "$STAMP"

installer=uv
if [ "${SETUP_INSTALLER:-uv}" = pip ]; then
  installer=pip
  say "SETUP_INSTALLER=pip: installing with pip"
elif [ ! -x "$VENV/bin/uv" ]; then
  say "installing uv into $VENV (pip install '$UV_SPEC')"
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q "$UV_SPEC" >>"$LOG" 2>&1; then
    installer=pip
    say "uv could not be installed (see $LOG); falling back to pip, which is much slower"
  fi
fi

packages=$(grep -c '^[A-Za-z0-9]' "$LOCK")
install_with() {
  if [ "$1" = uv ]; then
    "$VENV/bin/uv" pip install --python "$VENV/bin/python" --compile-bytecode --require-hashes -r "$LOCK" &&
      "$VENV/bin/uv" pip install --python "$VENV/bin/python" --no-deps -e .
  else
    "$VENV/bin/python" -m pip install --disable-pip-version-check --compile --require-hashes -r "$LOCK" &&
      "$VENV/bin/python" -m pip install --disable-pip-version-check --no-deps -e .
  fi
}

say "installing $packages locked packages from $LOCK and the project with $installer…"
if ! install_with "$installer" >>"$LOG" 2>&1; then
  [ "$installer" = uv ] || fail "pip install"
  say "uv failed (see $LOG); trying again with pip, which is much slower"
  install_with pip >>"$LOG" 2>&1 || fail "pip install"
fi

echo "$fingerprint" >"$STAMP"
say "done in $((SECONDS - started)) s"
