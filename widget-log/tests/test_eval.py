import json

from widget_log import eval as wl_eval
from widget_log.config import load_config

ROWS = [
    {"intent": "rev-list", "group": "rev", "prompt": "How do I reverse a list in Python?"},
    {"intent": "rev-list", "group": "rev", "prompt": "how can i reverse a python list"},
    {"intent": "rev-list", "group": "rev", "prompt": "How do I reverse a list in Python?"},
    {"intent": "http-401", "group": "http", "prompt": "What does HTTP status code 401 mean?"},
    {"intent": "http-403", "group": "http", "prompt": "What does HTTP status code 403 mean?"},
    {"intent": "haiku", "group": "haiku", "prompt": "Write a haiku about autumn leaves"},
]


def test_run_eval_counts(embedder):
    res = wl_eval.run_eval(ROWS, load_config({"data_dir": ":memory:"}), embedder)
    assert res["rows"] == 6
    # 2 later rev-list prompts can hit; 401/403 must not confuse (number check).
    assert res["true_hits"] + res["missed_hits"] == 2
    assert res["false_hits"] == 0 and res["exact_hits"] == 1
    assert 0.0 <= res["recall"] <= 1.0


def test_cli_json(tmp_path, capsys):
    f = tmp_path / "rows.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in ROWS))
    assert wl_eval.main([str(f), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for k in (
        "false_hit_rate",
        "recall",
        "true_hits",
        "false_hits",
        "missed_hits",
        "lookup_ms_p50",
        "lookup_ms_p99",
        "sibling_confusions",
    ):
        assert k in out
