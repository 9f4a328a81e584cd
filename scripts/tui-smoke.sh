#!/usr/bin/env bash
# The terminal frontend in a real terminal (tmux), attached to a running
# `lantern serve --offline`:
#   1. a request from the official anthropic SDK waits in `lantern tui`, is
#      accepted with Enter (send-keys), and the SDK gets its answer;
#   2. a prompt typed in the pane is refined, edited in $EDITOR (a script
#      standing in for vi), sent, and answered in the pane;
#   3. Ctrl+C quits, the terminal is restored, the server keeps serving;
#   4. SIGTERM restores the terminal too; 5. a terminal that goes away ends it.
# The pane is read with capture-pane; the journal is read with `lantern replay`.
#
# Installs tmux from Debian when missing (as root, or with sudo).
# Env: LANTERN_BIN (default: target/debug/lantern, built if missing).
set -euo pipefail

# shellcheck source=scripts/tmux-setup.sh
source "$(dirname "$0")/tmux-setup.sh"
SERVE=""
SDK=""
cleanup() {
    tmux -S "$SOCK" kill-server 2>/dev/null || true
    pkill -f -- "--data-dir $WORK/data tui" 2>/dev/null || true
    [ -n "$SDK" ] && kill "$SDK" 2>/dev/null || true
    [ -n "$SERVE" ] && kill "$SERVE" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
    echo "--- pane"
    tmux -S "$SOCK" capture-pane -p -t tui 2>/dev/null || true
    echo "--- sdk"
    cat "$WORK/sdk.out" 2>/dev/null || true
    echo "--- serve"
    cat "$WORK/serve.log" || true
    echo "tui-smoke: $*" >&2
    exit 1
}
pane() { tmux -S "$SOCK" capture-pane -p -t tui; }

env -u ANTHROPIC_API_KEY "$BIN" --data-dir "$WORK/data" serve --approve ask --decision-timeout 30 \
    --offline --listen 127.0.0.1:0 --venv "$VENV" >"$WORK/serve.log" 2>&1 &
SERVE=$!
url=""
for _ in $(seq 240); do
    grep -q 'go through' "$WORK/serve.log" && url=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/serve.log" | head -n1) && break
    kill -0 "$SERVE" 2>/dev/null || break
    sleep 0.25
done
[ -n "$url" ] || fail "lantern serve did not start"

# The editor `e` opens: appends a sentence to the file, as a person would in vi.
cat >"$WORK/editor.sh" <<'SH'
#!/bin/sh
printf '%s\n' "$(cat "$1") Answer in two sentences." >"$1"
SH
chmod +x "$WORK/editor.sh"
tmux -S "$SOCK" -f /dev/null new-session -d -s tui -x 130 -y 40 \
    "env EDITOR='$WORK/editor.sh' TERM=xterm-256color '$BIN' --data-dir '$WORK/data' tui; echo \"tui exited with \$?\"; stty -a | tr ' ;' '\n\n' | grep -x -- '-\{0,1\}icanon'; echo 'terminal checked'; sleep 60"
await "attached to serve (pid $SERVE)" 60

# 1. A proxied request waits in the pane and is accepted there.
"$VENV/bin/python" - "$url" "$WORK/data/proxy-token" >"$WORK/sdk.out" 2>&1 <<'PY' &
import sys

import anthropic

client = anthropic.Anthropic(base_url=sys.argv[1], api_key=open(sys.argv[2]).read().strip(), max_retries=0)
raw = client.messages.with_raw_response.create(
    model="claude-sonnet-4-5",
    max_tokens=64,
    messages=[{"role": "user", "content": "Why does this panic when the buffer is 7 bytes long?"}],
)
print("cache:", raw.headers.get("x-lantern-cache"))
print("answer:", raw.parse().content[0].text[:60])
PY
SDK=$!
await "A proxied request waits for your decision" 30
started=$(date +%s)
tmux -S "$SOCK" send-keys -t tui Enter
wait "$SDK" || { cat "$WORK/sdk.out"; fail "the SDK request accepted in the pane failed"; }
SDK=""
[ $(($(date +%s) - started)) -lt 25 ] || fail "the answer came only after the decision timeout"
grep -q '^cache: miss' "$WORK/sdk.out" || { cat "$WORK/sdk.out"; fail "unexpected SDK answer"; }
"$BIN" --data-dir "$WORK/data" sessions >"$WORK/sessions.txt"
proxy=$(awk '$4 == "proxy" {print $1; exit}' "$WORK/sessions.txt")
# Whole outputs to files first: `grep -q` closing a pipe early would fail the writer under pipefail.
"$BIN" --data-dir "$WORK/data" replay show "$proxy" --json >"$WORK/proxy.jsonl"
grep -q '"ApprovalDecided":{"decision":"Accepted","by":"User"' "$WORK/proxy.jsonl" \
    || fail "the journal has no decision by the user on the proxied request"

# 2. A typed prompt, edited in $EDITOR, answered in the pane.
tmux -S "$SOCK" send-keys -t tui -l "How do I reverse a list in Python?"
tmux -S "$SOCK" send-keys -t tui Enter
await "Your prompt, refined" 30
tmux -S "$SOCK" send-keys -t tui e
await "Answer  [Offline" 30
await "Next prompts  Origin:" 10
"$BIN" --data-dir "$WORK/data" sessions >"$WORK/sessions.txt"
mine=$(awk '$4 == "cli" {print $1; exit}' "$WORK/sessions.txt")
"$BIN" --data-dir "$WORK/data" replay show "$mine" --json >"$WORK/mine.jsonl"
grep -q '"decision":{"Modified":{"text":{"Full":"How do I reverse a list in Python? Answer in two sentences."}' "$WORK/mine.jsonl" \
    || fail "the prompt edited in \$EDITOR is not the one journalled: $(grep -a ApprovalDecided "$WORK/mine.jsonl")"

# 3. Ctrl+C quits; the terminal is the shell's again; the server still serves.
tmux -S "$SOCK" send-keys -t tui C-c
await "terminal checked" 15
grep -qF "tui exited with 0" "$WORK/pane.txt" || fail "lantern tui did not exit with 0"
pane >"$WORK/pane.txt"
grep -q "Lantern  F2 Live" "$WORK/pane.txt" && fail "the TUI's screen was left behind after quitting"
grep -qx "icanon" "$WORK/pane.txt" || fail "the terminal was left in raw mode after quitting"
kill -0 "$SERVE" 2>/dev/null || fail "quitting the TUI stopped the server"
"$BIN" --data-dir "$WORK/data" replay show "$mine" --json >"$WORK/mine.jsonl"
grep -q '"SessionEnded"' "$WORK/mine.jsonl" || fail "the TUI's session did not end"

# 4. SIGTERM from outside: the terminal is restored too.
tmux -S "$SOCK" new-window -t tui -n term \
    "TERM=xterm-256color '$BIN' --data-dir '$WORK/data' tui; echo \"tui exited with \$?\"; stty -a | tr ' ;' '\n\n' | grep -x -- '-\{0,1\}icanon'; echo 'terminal checked'; sleep 60"
tmux -S "$SOCK" kill-window -t tui:0
await "attached to serve (pid $SERVE)" 60
pid=$(pgrep -f -- "--data-dir $WORK/data tui" | head -n1)
[ -n "$pid" ] || fail "cannot find the second lantern tui"
kill -TERM "$pid"
await "terminal checked" 15
grep -qF "tui exited with 0" "$WORK/pane.txt" || fail "lantern tui did not exit with 0"
pane >"$WORK/pane.txt"
grep -q "Lantern  F2 Live" "$WORK/pane.txt" && fail "SIGTERM left the TUI's screen behind"
grep -qx "icanon" "$WORK/pane.txt" || fail "SIGTERM left the terminal in raw mode"

# 5. The terminal goes away (tmux killed: SIGHUP, a dead tty): the TUI ends instead of spinning.
tmux -S "$SOCK" new-window -t tui -n hup "TERM=xterm-256color '$BIN' --data-dir '$WORK/data' tui"
await "attached to serve (pid $SERVE)" 60
tmux -S "$SOCK" kill-server
for _ in $(seq 40); do
    pgrep -f -- "--data-dir $WORK/data tui" >/dev/null || break
    sleep 0.25
done
if pgrep -f -- "--data-dir $WORK/data tui" >/dev/null; then
    pkill -9 -f -- "--data-dir $WORK/data tui" || true
    echo "tui-smoke: lantern tui outlived its terminal" >&2
    exit 1
fi
echo "tui-smoke: ok"
