"""Reads Lantern's Parquet exports back with pyarrow and checks them.

Usage: read_parquet.py DIR  (DIR holds <kind>/ for each kind, written as
Parquet, and <kind>-jsonl/ with the same rows as JSON Lines).

Checks, per kind: the schema equals the one docs/export.md declares, and
every row equals the JSONL row of the same export.
"""

import json
import sys
from datetime import UTC
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

TS = pa.timestamp("us", tz="+00:00")
ORIGIN = [
    pa.field("request", pa.string(), nullable=False),
    pa.field("session", pa.string(), nullable=False),
    pa.field("at", TS, nullable=False),
    pa.field("model", pa.string(), nullable=False),
]


def req(name, ty):
    return pa.field(name, ty, nullable=False)


def texts(nullable_items=False):
    return pa.list_(pa.field("item", pa.string(), nullable=nullable_items))


DECLARED = {
    "preferences": pa.schema(
        [
            req("prompt", pa.string()),
            req("chosen", pa.string()),
            req("rejected", pa.string()),
            req(
                "meta",
                pa.struct(
                    ORIGIN
                    + [
                        req("decision", pa.string()),
                        req("waited_ms", pa.uint64()),
                        req("quality_original", pa.uint8()),
                        req("quality_refined", pa.uint8()),
                        req("changes", texts()),
                        req("refiner_version", pa.string()),
                        req("refiner_config_hash", pa.string()),
                    ]
                ),
            ),
        ]
    ),
    "sft": pa.schema(
        [
            req(
                "messages",
                pa.list_(
                    pa.field(
                        "item",
                        pa.struct(
                            [req("role", pa.string()), req("content", pa.string())]
                        ),
                        nullable=False,
                    )
                ),
            ),
            req(
                "meta",
                pa.struct(
                    ORIGIN
                    + [
                        req("decision", pa.string()),
                        req("refiner_version", pa.string()),
                    ]
                ),
            ),
        ]
    ),
    "routing": pa.schema(
        ORIGIN
        + [
            req("namespace_hash", pa.string()),
            req("prompt_tokens", pa.uint32()),
            pa.field("similarity", pa.float32()),
            req("outcome", pa.string()),
            pa.field("miss_reason", pa.string()),
            pa.field("verification_reason", pa.string()),
            req("label", pa.string()),
            pa.field("feedback", pa.string()),
            req("lookup_latency_us", pa.uint64()),
            pa.field("response_latency_ms", pa.uint64()),
            pa.field("response_source", pa.string()),
            req("tokens_saved", pa.uint32()),
            pa.field("upstream_input_tokens", pa.uint32()),
            pa.field("upstream_output_tokens", pa.uint32()),
        ]
    ),
    "suggestions": pa.schema(
        ORIGIN
        + [
            pa.field("prompt", pa.string()),
            req("suggestion_origin", pa.string()),
            req("context", pa.string()),
            pa.field("history_depth", pa.uint8()),
            pa.field("last_assistant", pa.string()),
            req("history", texts()),
            req("suggestions", texts()),
            req("actions", texts()),
            req("edited", texts(nullable_items=True)),
        ]
    ),
    "cache-pairs": pa.schema(
        ORIGIN
        + [
            req("namespace_hash", pa.string()),
            req("query", pa.string()),
            req("matched_prompt", pa.string()),
            req("similarity", pa.float32()),
            req("shown", pa.string()),
            req("guard_accepted", pa.bool_()),
            pa.field("guard_reason", pa.string()),
            req("label", pa.string()),
            pa.field("decided_by", pa.string()),
            pa.field("waited_ms", pa.uint64()),
        ]
    ),
}


def normalise(value):
    """Parquet values as JSON would carry them (timestamps as RFC 3339, floats rounded)."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if hasattr(value, "astimezone"):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, float):
        return round(value, 5)
    return value


def main() -> int:
    root = Path(sys.argv[1])
    for kind, schema in DECLARED.items():
        rows = 0
        for parquet in sorted((root / kind).glob("*.parquet")):
            table = pq.read_table(parquet)
            if not table.schema.equals(schema, check_metadata=False):
                print(
                    f"{parquet}: schema differs\n got:\n{table.schema}\n declared:\n{schema}"
                )
                return 1
            jsonl = root / f"{kind}-jsonl" / parquet.name.replace(".parquet", ".jsonl")
            expected = [
                normalise(json.loads(line)) for line in jsonl.read_text().splitlines()
            ]
            got = [normalise(r) for r in table.to_pylist()]
            if got != expected:
                print(f"{parquet}: rows differ from {jsonl}")
                return 1
            rows += table.num_rows
        print(f"{kind} {rows}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
