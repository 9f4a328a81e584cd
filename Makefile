# Lantern — every target does its own set-up and is safe to re-run.
#   make demo   the main job on embedded defaults (no API key needed)
#   make test   every test, Rust and Python

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON  ?= python3
VENV    := $(CURDIR)/.venv
VPY     := $(VENV)/bin/python
STAMP   := $(VENV)/.widget-log-installed
DEMO_DIR ?= $(CURDIR)/.demo
CARGO   ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: help setup build demo test test-rust test-python lint bench bench-rust bench-python crash-trials byte-flips fuzz clean

help:
	@echo "make demo          run the demo session on embedded defaults"
	@echo "make test          run every test (Rust and Python)"
	@echo "make lint          cargo fmt --check, clippy -D warnings, ruff"
	@echo "make bench         criterion + Python benchmarks (figures in BENCHMARKS.md)"
	@echo "make crash-trials  200 SIGKILL-during-append trials"
	@echo "make byte-flips    2,000 damaged copies of a log: read right or name the damage"
	@echo "make fuzz          fuzz the record decoder (FUZZ_SECONDS, default 60)"

# The Python environment: .venv at the repo root with widget-log installed.
# Re-installs only when widget-log's pyproject changes.
setup: $(STAMP)

$(STAMP): widget-log/pyproject.toml
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -e './widget-log[test]'
	@touch $@

# pyo3 builds against the venv's interpreter (.cargo/config.toml), so every
# cargo target needs `setup` first.
build: setup
	$(CARGO) build --release --locked -p lantern

# A fresh demo directory each time, so every run shows the same story.
demo: build
	@rm -rf $(DEMO_DIR)
	$(CURDIR)/target/release/lantern --data-dir $(DEMO_DIR) demo --venv $(VENV)

test: setup test-rust test-python ui-smoke tui-smoke ask-smoke

test-rust: setup
	$(CARGO) test --workspace --locked

# The real npm clients of the proxy (Claude Code, the TypeScript SDK), pinned
# in frontends/http/tests/clients, installed outside the tree (.cache/).
.PHONY: clients
clients:
	scripts/install-clients.sh >/dev/null

test-python: setup clients
	cd widget-log && $(VPY) -m pytest -q
	$(CARGO) build --locked -p lantern
	$(VPY) -m pytest -q frontends/http/tests/sdk

# The desktop window in a real X server (Xvfb; installs what it needs from Debian).
.PHONY: ui-smoke
ui-smoke: setup
	$(CARGO) build --locked -p lantern
	scripts/ui-smoke.sh

# The terminal frontend in a real terminal (tmux; installs it from Debian when missing).
.PHONY: tui-smoke
tui-smoke: setup
	$(CARGO) build --locked -p lantern
	scripts/tui-smoke.sh

# `lantern ask` in a real terminal (tmux): a cached paraphrase offered, taken and refused.
.PHONY: ask-smoke
ask-smoke: setup
	$(CARGO) build --locked -p lantern
	scripts/ask-smoke.sh

lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(VENV)/bin/ruff check widget-log frontends/http/tests replay/tests
	$(VENV)/bin/ruff format --check widget-log frontends/http/tests replay/tests

bench: bench-rust bench-python

bench-rust: setup
	$(CARGO) bench --locked -p lantern-events --bench log
	$(CARGO) bench --locked -p lantern-actors --bench pipeline

bench-python: setup
	$(VPY) widget-log/bench/bench_cache.py

.PHONY: bench-proxy
bench-proxy: setup
	$(CARGO) build --release --locked -p lantern
	$(CARGO) bench --locked -p lantern-http --bench proxy_load

crash-trials: setup
	scripts/crash-trials.sh 200

.PHONY: byte-flips
byte-flips: setup
	scripts/byte-flips.sh 2000

# Each target runs FUZZ_SECONDS: the record decoder, the proxy's request
# checks (and what the pipeline reads from an accepted body), and
# Widget-Log's bridge entry points (atheris).
FUZZ_SECONDS ?= 60
fuzz: setup
	@command -v cargo-fuzz >/dev/null || $(CARGO) install --locked cargo-fuzz
	cd events/fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run decode_record -- -max_total_time=$(FUZZ_SECONDS)
	cd frontends/http/fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run -s none proxy_request -- -max_total_time=$(FUZZ_SECONDS)
	$(VPY) -m pip install --quiet --disable-pip-version-check -r widget-log/fuzz/requirements.txt
	$(VPY) widget-log/fuzz/fuzz_bridge.py -max_total_time=$(FUZZ_SECONDS)

clean:
	rm -rf $(DEMO_DIR) target
