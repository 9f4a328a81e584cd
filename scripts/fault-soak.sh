#!/usr/bin/env bash
# The fault soak through `lantern serve` at full size: N requests (default
# 10,000; `make test` runs 2,000) mixing every fault the fake offers with
# hits and misses, streamed and not. Needs the debug binary (make test builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
LANTERN_SOAK="${1:-10000}" .venv/bin/python -m pytest -q -s frontends/http/tests/sdk/test_integrity.py -k soak
