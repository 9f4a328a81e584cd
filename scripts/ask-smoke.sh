#!/usr/bin/env bash
# `lantern ask` in a real terminal (tmux), offering a cached paraphrase:
#   1. a question is answered and cached (--approve accept, offline);
#   2. a paraphrase, asked interactively: the refinement is accepted with
#      Enter, the cached answer is offered (matched prompt, similarity, the
#      verifier's verdict, the answer's opening) and taken with `u`;
#   3. a sibling the verifier refuses is offered with the reason, refused
#      with `m`, and the model (offline provider) answers;
#   4. the journal holds both choices, made by the user;
#   5. `lantern export --kind cache-pairs` writes both pairs with their
#      labels (Parquet, read back with pyarrow).
# The pane is read with capture-pane; the journal with `lantern replay show --json`.
#
# Installs tmux from Debian when missing (as root, or with sudo).
# Env: LANTERN_BIN (default: target/debug/lantern, built if missing).
set -euo pipefail

# shellcheck source=scripts/tmux-setup.sh
source "$(dirname "$0")/tmux-setup.sh"
cleanup() {
    tmux -S "$SOCK" kill-server 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
pane() { tmux -S "$SOCK" capture-pane -p -S -200 -t ask; }
fail() {
    echo "--- pane"
    pane 2>/dev/null || true
    echo "ask-smoke: $*" >&2
    exit 1
}
ask() {
    tmux -S "$SOCK" send-keys -t ask -l "env -u ANTHROPIC_API_KEY '$BIN' --data-dir '$WORK/data' ask --venv '$VENV' \"$1\"; echo \"ask exited with \$?\""
    tmux -S "$SOCK" send-keys -t ask Enter
}

env -u ANTHROPIC_API_KEY "$BIN" --data-dir "$WORK/data" ask --venv "$VENV" --approve accept \
    "How do I reverse a list in Python?" >"$WORK/first.txt" 2>&1 || { cat "$WORK/first.txt"; fail "the first ask failed"; }

tmux -S "$SOCK" -f /dev/null new-session -d -s ask -x 160 -y 50
# 2. A paraphrase: offered, taken.
ask "whats the pythonic way to reverse a list"
await "[a]ccept refined" 60
tmux -S "$SOCK" send-keys -t ask Enter
await "Use the cached answer [u]" 60
grep -qF "Matched prompt: “How do I reverse a list in Python?”" "$WORK/pane.txt" || fail "the offer does not show the matched prompt"
grep -qF "the verifier accepts it" "$WORK/pane.txt" || fail "the offer does not show the verifier's verdict"
tmux -S "$SOCK" send-keys -t ask u Enter
await "ask exited with 0" 60
grep -qF "Chosen by you" "$WORK/pane.txt" || fail "the choice is not shown"
grep -qF "[Cache: semantic match you took" "$WORK/pane.txt" || fail "the answer does not say it came from the offer"

# 3. A sibling: offered with the verifier's refusal, refused; the model answers.
tmux -S "$SOCK" send-keys -t ask C-l
tmux -S "$SOCK" clear-history -t ask
ask "How do I reverse a string in Python?"
await "[a]ccept refined" 60
tmux -S "$SOCK" send-keys -t ask Enter
await "Use the cached answer [u]" 60
grep -qF "the verifier refuses it:" "$WORK/pane.txt" || fail "the refusal's reason is not shown"
tmux -S "$SOCK" send-keys -t ask m Enter
await "ask exited with 0" 60
grep -qF "asked the model" "$WORK/pane.txt" || fail "the refusal is not shown"
grep -qF "[Offline:" "$WORK/pane.txt" || fail "the model (offline provider) did not answer"

# 4. The journal: both choices, by the user.
: >"$WORK/journal.jsonl"
"$BIN" --data-dir "$WORK/data" sessions >"$WORK/sessions.txt"
for s in $(awk '$4 == "cli" {print $1}' "$WORK/sessions.txt"); do
    "$BIN" --data-dir "$WORK/data" replay show "$s" --json >>"$WORK/journal.jsonl"
done
grep -q '"OfferDecided":{[^}]*"choice":"UsedCached","by":"User"' "$WORK/journal.jsonl" \
    || fail "no UsedCached choice by the user in the journal"
grep -q '"OfferDecided":{[^}]*"choice":"AskedModel","by":"User"' "$WORK/journal.jsonl" \
    || fail "no AskedModel choice by the user in the journal"

# 5. The labelled pairs export, read back with pyarrow.
"$BIN" --data-dir "$WORK/data" export --kind cache-pairs --format parquet --out "$WORK/pairs" >"$WORK/export.txt" 2>&1 \
    || { cat "$WORK/export.txt"; fail "the cache-pairs export failed"; }
"$VENV/bin/python" - "$WORK/pairs" <<'PY' || fail "the cache-pairs export does not hold both offers"
import pathlib
import sys

import pyarrow.parquet as pq

rows = [r for f in sorted(pathlib.Path(sys.argv[1]).glob("*.parquet")) for r in pq.read_table(f).to_pylist()]
got = sorted((r["label"], r["shown"], r["guard_accepted"], r["decided_by"], r["matched_prompt"]) for r in rows)
want = [
    ("accepted", "offered", True, "user", "How do I reverse a list in Python?"),
    ("refused", "offered", False, "user", "How do I reverse a list in Python?"),
]
assert got == want, got
PY
echo "ask-smoke: ok"
