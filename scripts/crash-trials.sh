#!/usr/bin/env bash
# Kill a process with SIGKILL while it appends to the log, reopen, verify;
# N times (default 200). `make test` runs the same check 20 times.
set -euo pipefail
cd "$(dirname "$0")/.."
LANTERN_CRASH_TRIALS="${1:-200}" cargo test --locked -p lantern-events --test crash
