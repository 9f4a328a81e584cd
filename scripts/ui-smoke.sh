#!/usr/bin/env bash
# Smoke test of `lantern ui` in a real X window: Xvfb, the glow renderer on
# Mesa's software OpenGL, a temp data directory and Widget-Log's offline
# provider (no API key). Types a prompt, sends it, accepts the refinement
# with the keyboard, takes screenshots (checked not blank), closes the window
# with Ctrl+Q, and checks the log holds the accepted, answered prompt.
# Then `lantern serve --ui`: a request from the official anthropic SDK waits
# in the window, is accepted there with the keyboard, and the SDK gets its
# answer; the log shows a person's decision on the proxied request.
# Then `lantern serve` alone and two `lantern ui` windows attached to it: a
# proxied request is accepted in one, closing each window leaves the server
# (and the other window) running.
#
# Installs what it needs from Debian when missing (as root, or with sudo).
# Env: LANTERN_BIN (default: target/debug/lantern, built if missing),
#      UI_SMOKE_OUT (screenshot path, default: target/ui-smoke.png).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="${LANTERN_BIN:-$ROOT/target/debug/lantern}"
OUT="${UI_SMOKE_OUT:-$ROOT/target/ui-smoke.png}"
VENV="$ROOT/.venv"

# --- what it needs -----------------------------------------------------------
need=()
command -v Xvfb >/dev/null || need+=(xvfb)
command -v xwd >/dev/null || need+=(x11-apps)
command -v xwininfo >/dev/null || need+=(x11-utils)
command -v xdotool >/dev/null || need+=(xdotool)
# /usr/local/bin may hold a stand-in `convert`: use ImageMagick's own.
[ -x /usr/bin/convert ] || need+=(imagemagick)
for pair in libGL.so.1:libgl1 libEGL.so.1:libegl1 swrast_dri.so:libgl1-mesa-dri libxkbcommon-x11.so.0:libxkbcommon-x11-0 \
    libXcursor.so.1:libxcursor1 libXrandr.so.2:libxrandr2 libXi.so.6:libxi6 libX11-xcb.so.1:libx11-xcb1; do
    lib="${pair%%:*}" pkg="${pair##*:}"
    if [ "$lib" = swrast_dri.so ]; then
        compgen -G "/usr/lib/*/dri/swrast_dri.so" >/dev/null || need+=("$pkg")
    else
        ldconfig -p | grep -q "$lib" || need+=("$pkg")
    fi
done
if [ ${#need[@]} -gt 0 ]; then
    echo "ui-smoke: installing ${need[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ ! -x "$BIN" ]; then
    cargo build --locked -p lantern
fi

# --- a display ---------------------------------------------------------------
n=99
while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
export DISPLAY=":$n"
WORK="$(mktemp -d)"
Xvfb "$DISPLAY" -screen 0 1280x860x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB=$!
APP=""
APP2=""
SERVE=""
cleanup() {
    [ -n "$APP" ] && kill "$APP" 2>/dev/null || true
    [ -n "$APP2" ] && kill "$APP2" 2>/dev/null || true
    [ -n "$SERVE" ] && kill "$SERVE" 2>/dev/null || true
    kill "$XVFB" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
[ -e "/tmp/.X11-unix/X$n" ] || { cat "$WORK/xvfb.log"; echo "ui-smoke: Xvfb did not start" >&2; exit 1; }

# --- the window --------------------------------------------------------------
env -u ANTHROPIC_API_KEY LIBGL_ALWAYS_SOFTWARE=1 \
    "$BIN" --data-dir "$WORK/data" ui --venv "$VENV" >"$WORK/ui.log" 2>&1 &
APP=$!
shown=""
for _ in $(seq 120); do
    if ! kill -0 "$APP" 2>/dev/null; then break; fi
    if xwininfo -root -tree 2>/dev/null | grep -q '"Lantern"'; then shown=1; break; fi
    sleep 0.5
done
if [ -z "$shown" ]; then
    cat "$WORK/ui.log"
    echo "ui-smoke: no Lantern window appeared" >&2
    exit 1
fi
sleep 2 # a few frames

# The screen as it is now, checked for content.
shot() {
    xwd -root -silent >"$WORK/shot.xwd"
    /usr/bin/convert "$WORK/shot.xwd" "$1"
    local colours spread
    colours=$(/usr/bin/convert "$1" -format '%k' info:)
    spread=$(/usr/bin/convert "$1" -colorspace Gray -format '%[fx:standard_deviation]' info:)
    echo "ui-smoke: screenshot $1: $colours colours, grey standard deviation $spread"
    if [ "$colours" -lt 16 ] || awk "BEGIN { exit !($spread < 0.02) }"; then
        echo "ui-smoke: the screenshot is blank" >&2
        exit 1
    fi
}

mkdir -p "$(dirname "$OUT")"
wid=$(xdotool search --name '^Lantern$' | head -n1)
xdotool windowfocus --sync "$wid"
# A prompt through the real pipeline: type it in the composer, send it
# (Ctrl+Enter), look at the approval panel, accept it (Ctrl+Enter), read the answer.
eval "$(xdotool getwindowgeometry --shell "$wid")"
xdotool mousemove --window "$wid" $((WIDTH / 2)) $((HEIGHT - 60)) click 1
xdotool type --delay 10 "How do I reverse a list in Python?"
xdotool key --clearmodifiers ctrl+Return
sleep 4
shot "${OUT%.png}-approval.png"
xdotool key --clearmodifiers ctrl+Return
sleep 4
shot "$OUT"
# The open window holds the log and serves it to other commands.
live=$("$BIN" --data-dir "$WORK/data" sessions) || { echo "ui-smoke: lantern sessions failed while the window was open" >&2; exit 1; }
grep -Eq 'desktop +[0-9]+ +1 +[0-9]+ +open' <<<"$live" || { echo "$live"; echo "ui-smoke: the open window's session is not listed as open" >&2; exit 1; }

# Ctrl+Q closes the window the way a person would; the session must end.
xdotool key --clearmodifiers ctrl+q
for _ in $(seq 60); do kill -0 "$APP" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$APP" 2>/dev/null; then
    echo "ui-smoke: Ctrl+Q did not close the window" >&2
    exit 1
fi
wait "$APP" || { cat "$WORK/ui.log"; echo "ui-smoke: lantern ui exited with an error" >&2; exit 1; }
APP=""
sessions=$("$BIN" --data-dir "$WORK/data" sessions)
echo "$sessions"
if ! grep -Eq 'desktop +[0-9]+ +1 +[0-9]+ +ended' <<<"$sessions"; then
    echo "ui-smoke: the window's desktop session (one prompt, ended) is not in the log" >&2
    exit 1
fi
session=$(grep desktop <<<"$sessions" | cut -d' ' -f1)
stats=$("$BIN" --data-dir "$WORK/data" stats --session "$session" --json --no-cache-stats)
echo "$stats"
if ! grep -q '"accepted":1' <<<"$stats" || ! grep -Eq '"(offline|upstream|cache)":1' <<<"$stats"; then
    echo "ui-smoke: the prompt was not accepted and answered" >&2
    exit 1
fi

# --- lantern serve --ui --------------------------------------------------------
env -u ANTHROPIC_API_KEY LIBGL_ALWAYS_SOFTWARE=1 \
    "$BIN" --data-dir "$WORK/proxy" serve --ui --offline --listen 127.0.0.1:0 --venv "$VENV" >"$WORK/serve.log" 2>&1 &
APP=$!
url=""
for _ in $(seq 120); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/serve.log" | head -n1 || true)
    [ -n "$url" ] && xwininfo -root -tree 2>/dev/null | grep -q '"Lantern"' && break
    kill -0 "$APP" 2>/dev/null || break
    sleep 0.5
done
if [ -z "$url" ]; then
    cat "$WORK/serve.log"
    echo "ui-smoke: lantern serve --ui did not start" >&2
    exit 1
fi
sleep 2
"$VENV/bin/python" - "$url" "$WORK/proxy/proxy-token" >"$WORK/sdk.out" 2>&1 <<'PY' &
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
sleep 4
wid=$(xdotool search --name '^Lantern$' | head -n1)
xdotool windowfocus --sync "$wid"
shot "${OUT%.png}-proxy-approval.png"
xdotool key --clearmodifiers ctrl+Return
wait "$SDK" || { cat "$WORK/sdk.out"; echo "ui-smoke: the SDK request through serve --ui failed" >&2; exit 1; }
cat "$WORK/sdk.out"
grep -q '^cache: miss' "$WORK/sdk.out" || { echo "ui-smoke: unexpected proxy answer" >&2; exit 1; }
xdotool windowfocus --sync "$wid"
xdotool key --clearmodifiers ctrl+q
for _ in $(seq 60); do kill -0 "$APP" 2>/dev/null || break; sleep 0.5; done
kill -0 "$APP" 2>/dev/null && { echo "ui-smoke: the serve --ui window did not close on ctrl+q" >&2; exit 1; }
wait "$APP" || { cat "$WORK/serve.log"; echo "ui-smoke: lantern serve --ui exited with an error" >&2; exit 1; }
APP=""
proxy_session=$("$BIN" --data-dir "$WORK/proxy" sessions | grep ' proxy ' | cut -d' ' -f1)
decided=$("$BIN" --data-dir "$WORK/proxy" replay show "$proxy_session" --json | grep ApprovalDecided || true)
echo "$decided"
if ! grep -q '"decision":"Accepted"' <<<"$decided" || ! grep -q '"by":"User"' <<<"$decided"; then
    echo "ui-smoke: the proxied request was not accepted by a person in the window" >&2
    exit 1
fi
# --- lantern ui attached to a running lantern serve ----------------------------
# The server runs on its own; the window attaches through the data dir's
# control socket, a proxied request waits there and is accepted, the window
# closes, and the server goes on serving.
env -u ANTHROPIC_API_KEY "$BIN" --data-dir "$WORK/attach" serve --approve ask --decision-timeout 10 \
    --offline --listen 127.0.0.1:0 --venv "$VENV" >"$WORK/serve-attach.log" 2>&1 &
SERVE=$!
url=""
for _ in $(seq 120); do
    grep -q 'go through' "$WORK/serve-attach.log" && url=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/serve-attach.log" | head -n1) && break
    kill -0 "$SERVE" 2>/dev/null || break
    sleep 0.5
done
if [ -z "$url" ]; then
    cat "$WORK/serve-attach.log"
    echo "ui-smoke: lantern serve did not start" >&2
    exit 1
fi
env LIBGL_ALWAYS_SOFTWARE=1 "$BIN" --data-dir "$WORK/attach" ui >"$WORK/ui-attach.log" 2>&1 &
APP=$!
shown=""
for _ in $(seq 120); do
    kill -0 "$APP" 2>/dev/null || break
    if xwininfo -root -tree 2>/dev/null | grep -q '"Lantern"'; then shown=1; break; fi
    sleep 0.5
done
if [ -z "$shown" ]; then
    cat "$WORK/ui-attach.log"
    echo "ui-smoke: lantern ui did not attach to lantern serve" >&2
    exit 1
fi
grep -q 'attached to the Lantern serving' "$WORK/ui-attach.log" || { cat "$WORK/ui-attach.log"; echo "ui-smoke: the window did not attach" >&2; exit 1; }
first=$(xdotool search --name '^Lantern$' | head -n1)
# A second window attaches to the same server.
env LIBGL_ALWAYS_SOFTWARE=1 "$BIN" --data-dir "$WORK/attach" ui >"$WORK/ui-attach2.log" 2>&1 &
APP2=$!
windows=0
for _ in $(seq 120); do
    kill -0 "$APP2" 2>/dev/null || break
    windows=$(xdotool search --name '^Lantern$' 2>/dev/null | wc -l)
    [ "$windows" -ge 2 ] && break
    sleep 0.5
done
if [ "$windows" -lt 2 ]; then
    cat "$WORK/ui-attach2.log"
    echo "ui-smoke: a second window did not attach" >&2
    exit 1
fi
second=$(xdotool search --name '^Lantern$' | grep -vx "$first" | head -n1)
sleep 2
sdk() {
    "$VENV/bin/python" - "$url" "$WORK/attach/proxy-token" "$1" <<'PY'
import sys

import anthropic

client = anthropic.Anthropic(base_url=sys.argv[1], api_key=open(sys.argv[2]).read().strip(), max_retries=0)
raw = client.messages.with_raw_response.create(
    model="claude-sonnet-4-5", max_tokens=64, messages=[{"role": "user", "content": sys.argv[3]}]
)
print("cache:", raw.headers.get("x-lantern-cache"))
print("answer:", raw.parse().content[0].text[:60])
PY
}
sdk "Why does this panic when the buffer is 7 bytes long?" >"$WORK/sdk-attach.out" 2>&1 &
SDK=$!
sleep 4
# Without a window manager the two windows overlap: raise the one that is used.
xdotool windowraise "$first"
xdotool windowfocus --sync "$first"
shot "${OUT%.png}-attached-approval.png"
started=$(date +%s)
xdotool key --clearmodifiers ctrl+Return
wait "$SDK" || { cat "$WORK/sdk-attach.out"; echo "ui-smoke: the SDK request approved in the attached window failed" >&2; exit 1; }
cat "$WORK/sdk-attach.out"
if [ $(($(date +%s) - started)) -ge 9 ]; then
    echo "ui-smoke: the answer came only after the decision timeout, not from the window's decision" >&2
    exit 1
fi
xdotool windowraise "$first"
xdotool windowfocus --sync "$first"
xdotool key --clearmodifiers ctrl+q
for _ in $(seq 60); do kill -0 "$APP" 2>/dev/null || break; sleep 0.5; done
kill -0 "$APP" 2>/dev/null && { echo "ui-smoke: the attached window did not close on ctrl+q" >&2; exit 1; }
wait "$APP" || { cat "$WORK/ui-attach.log"; echo "ui-smoke: the attached lantern ui exited with an error" >&2; exit 1; }
APP=""
kill -0 "$SERVE" 2>/dev/null || { cat "$WORK/serve-attach.log"; echo "ui-smoke: closing the window stopped the server" >&2; exit 1; }
kill -0 "$APP2" 2>/dev/null || { cat "$WORK/ui-attach2.log"; echo "ui-smoke: closing one window closed the other" >&2; exit 1; }
xdotool windowraise "$second"
xdotool windowfocus --sync "$second"
xdotool key --clearmodifiers ctrl+q
for _ in $(seq 60); do kill -0 "$APP2" 2>/dev/null || break; sleep 0.5; done
kill -0 "$APP2" 2>/dev/null && { echo "ui-smoke: the second window did not close on ctrl+q" >&2; exit 1; }
wait "$APP2" || { cat "$WORK/ui-attach2.log"; echo "ui-smoke: the second attached window exited with an error" >&2; exit 1; }
APP2=""
kill -0 "$SERVE" 2>/dev/null || { cat "$WORK/serve-attach.log"; echo "ui-smoke: closing the second window stopped the server" >&2; exit 1; }
# Still serving: with no window, the next request goes out as sent after the decision timeout.
sdk "Explain what Flags::from_bits does when unknown bits are set." >"$WORK/sdk-after.out" 2>&1 || {
    cat "$WORK/sdk-after.out"
    echo "ui-smoke: the server stopped answering after the window closed" >&2
    exit 1
}
cat "$WORK/sdk-after.out"
proxy_session=$("$BIN" --data-dir "$WORK/attach" sessions | grep ' proxy ' | cut -d' ' -f1)
decided=$("$BIN" --data-dir "$WORK/attach" replay show "$proxy_session" --json | grep ApprovalDecided || true)
echo "$decided"
if ! grep -q '"decision":"Accepted"' <<<"$decided" || ! grep -q '"by":"User"' <<<"$decided"; then
    echo "ui-smoke: the proxied request was not accepted by a person in the attached window" >&2
    exit 1
fi
kill -TERM "$SERVE"
wait "$SERVE" || { cat "$WORK/serve-attach.log"; echo "ui-smoke: lantern serve exited with an error" >&2; exit 1; }
echo "ui-smoke: ok"
