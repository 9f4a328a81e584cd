#!/usr/bin/env bash
# Flip 1–4 bytes past the header of a copy of one log, N times (default
# 2,000; `make test` runs 200): every run must read the original data or
# name the damage, never panic, never write into a damaged file.
set -euo pipefail
cd "$(dirname "$0")/.."
LANTERN_FLIP_SEEDS="${1:-2000}" cargo test --locked -p lantern-events --test byte_flip -- --nocapture
