#!/usr/bin/env bash
# Sets up the environment and starts the service in embedded sandbox mode
# (SQLite, in-process queue and scheduler, built-in TRN simulator) on 127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/trackers serve --sandbox "$@"
