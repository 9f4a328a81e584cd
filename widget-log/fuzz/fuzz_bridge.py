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

# Coverage feedback from Widget-Log's own code only (numpy, onnxruntime and
# the rest are loaded first, uninstrumented).
import numpy  # noqa: F401
import onnxruntime  # noqa: F401

with atheris.instrument_imports(include=["widget_log"]):
    from widget_log import bridge, cache, key, service, store, verify  # noqa: F401

REQUEST_KINDS = {"invalid_json", "invalid_request"}


def _checked(answer: str) -> None:
    obj = json.loads(answer)
    err = obj.get("error") if isinstance(obj, dict) else None
    if err is not None and err.get("kind") not in REQUEST_KINDS:
        raise AssertionError(f"bridge answered {err!r}")


def _value(fdp: atheris.FuzzedDataProvider, depth: int = 0) -> object:
    kind = fdp.ConsumeIntInRange(0, 6 if depth < 3 else 4)
    if kind == 0:
        return None
    if kind == 1:
        return fdp.ConsumeBool()
    if kind == 2:
        return fdp.ConsumeInt(8)
    if kind == 3:
        return fdp.ConsumeRegularFloat()
    if kind == 4:
        return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 64))
    if kind == 5:
        return [_value(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 4))]
    return {
        fdp.ConsumeUnicodeNoSurrogates(8): _value(fdp, depth + 1)
        for _ in range(fdp.ConsumeIntInRange(0, 4))
    }


def _pick(fdp: atheris.FuzzedDataProvider, usual: object) -> object:
    """Mostly a plausible value, sometimes anything."""
    return usual if fdp.ConsumeIntInRange(0, 3) else _value(fdp)


def _request(fdp: atheris.FuzzedDataProvider) -> str:
    if fdp.ConsumeIntInRange(0, 7) == 0:
        return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 512))
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 128))
    key = {
        "fingerprint": _pick(fdp, "f" * fdp.ConsumeIntInRange(0, 2)),
        "exact_key": _pick(fdp, fdp.ConsumeUnicodeNoSurrogates(4)),
        "text": _pick(fdp, text),
        "model": _pick(fdp, "claude-sonnet-4-5"),
    }
    obj = {
        "key": _pick(fdp, key),
        "namespace": _pick(fdp, "default"),
        "mode": _pick(fdp, ["default", "no-cache", "no-store", "off"][fdp.ConsumeIntInRange(0, 3)]),
        "semantic": _pick(fdp, ["serve", "off"][fdp.ConsumeIntInRange(0, 1)]),
        "record": _pick(fdp, True),
        "entry_id": _pick(fdp, None),
    }
    return json.dumps({k: v for k, v in obj.items() if fdp.ConsumeIntInRange(0, 5)})


def _response(fdp: atheris.FuzzedDataProvider) -> str:
    if fdp.ConsumeIntInRange(0, 5) == 0:
        return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 256))
    message = {
        "type": _pick(fdp, "message"),
        "role": _pick(fdp, "assistant"),
        "content": _pick(fdp, [{"type": "text", "text": _pick(fdp, "an answer")}]),
        "stop_reason": _pick(fdp, "end_turn"),
        "usage": _pick(fdp, {"input_tokens": _pick(fdp, 3), "output_tokens": _pick(fdp, 5)}),
        "model": _pick(fdp, "claude-sonnet-4-5"),
    }
    return json.dumps(_pick(fdp, message))


def one(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    which = fdp.ConsumeIntInRange(0, 3)
    if which == 0:
        out, _ = bridge.lookup(_request(fdp))
        _checked(out)
    elif which == 1:
        _checked(bridge.store(_request(fdp), _response(fdp)))
    elif which == 2:
        request = _request(fdp)
        _checked(bridge.store(request, _response(fdp)))
        out, _ = bridge.lookup(request)
        _checked(out)
    else:
        _checked(bridge.invalidate(fdp.ConsumeUnicodeNoSurrogates(64)))


def main() -> None:
    _checked(bridge.initialize(json.dumps({"data_dir": ":memory:"})))
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
