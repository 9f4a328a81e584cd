"""Fuzz Widget-Log's entry point: the bridge functions Rust calls.

Any text as a request (and as a response to store) must come back as a
typed answer: a result, or an error of a request kind (``invalid_json``,
``invalid_request``). An ``internal`` error, an exception escaping, or a
crash is a finding.

    .venv/bin/pip install -r widget-log/fuzz/requirements.txt
    .venv/bin/python widget-log/fuzz/fuzz_bridge.py -max_total_time=600

(``make fuzz`` does both, with the Rust targets.)
"""

from __future__ import annotations

import json
import sys

import atheris

with atheris.instrument_imports():
    from widget_log import bridge

REQUEST_KINDS = {"invalid_json", "invalid_request"}


def _checked(answer: str) -> None:
    obj = json.loads(answer)
    err = obj.get("error") if isinstance(obj, dict) else None
    if err is not None and err.get("kind") not in REQUEST_KINDS:
        raise AssertionError(f"bridge answered {err!r}")


def one(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    which = fdp.ConsumeIntInRange(0, 2)
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 4096))
    if which == 0:
        out, _ = bridge.lookup(text)
        _checked(out)
    elif which == 1:
        _checked(bridge.store(text, fdp.ConsumeUnicodeNoSurrogates(2048)))
    else:
        _checked(bridge.invalidate(text))


def main() -> None:
    _checked(bridge.initialize(json.dumps({"data_dir": ":memory:"})))
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
