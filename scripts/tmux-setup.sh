# Sourced by the tmux smoke tests (tui-smoke.sh, ask-smoke.sh): the checkout,
# the binary and the venv, tmux (installed from Debian when missing, as root
# or with sudo), and a work dir with a private tmux socket.
# Env: LANTERN_BIN (default: target/debug/lantern, built if missing).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="${LANTERN_BIN:-$ROOT/target/debug/lantern}"
VENV="$ROOT/.venv"

if ! command -v tmux >/dev/null; then
    echo "$(basename "$0" .sh): installing tmux"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends tmux >/dev/null
fi
[ -x "$BIN" ] || cargo build --locked -p lantern

WORK="$(mktemp -d)"
SOCK="$WORK/tmux.sock"

# Waits until the pane shows $1 (a fixed string), at most $2 seconds; the
# sourcing script defines `pane` (prints the pane) and `fail` (reports, exits).
await() {
    for _ in $(seq $(($2 * 4))); do
        pane >"$WORK/pane.txt"
        grep -qF -- "$1" "$WORK/pane.txt" && return 0
        sleep 0.25
    done
    fail "the pane never showed: $1"
}
