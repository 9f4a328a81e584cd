#!/usr/bin/env bash
# install-clients.sh: install the real npm clients of `lantern serve`
# (Claude Code and the TypeScript SDK) OUTSIDE the committed tree.
#
#   scripts/install-clients.sh                  # into .cache/npm-clients (git-ignored)
#   LANTERN_CLIENTS_DIR=/tmp/c scripts/install-clients.sh
#
# The versions are pinned in frontends/http/tests/clients/package.json and
# package-lock.json (the lock is committed; regenerate it there with
# `npm install --package-lock-only --omit-lockfile-registry-resolved=false`).
# Both files are copied to the cache dir and installed with `npm ci`.
# Running it again is a no-op while the cached lock equals the committed one.
# The last line printed is the path of the `claude` binary. Then e.g.:
#
#   LANTERN_CLIENTS_DIR=.cache/npm-clients LANTERN_URL=... LANTERN_TOKEN=... \
#     node --test frontends/http/tests/clients/sdk.test.mjs
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$repo/frontends/http/tests/clients"
cache="${LANTERN_CLIENTS_DIR:-$repo/.cache/npm-clients}"
claude="$cache/node_modules/.bin/claude"

mkdir -p "$cache"
if [[ -d "$cache/node_modules" ]] && cmp -s "$src/package-lock.json" "$cache/package-lock.json" \
    && cmp -s "$src/package.json" "$cache/package.json" && [[ -x "$claude" ]]; then
  echo "install-clients: up to date in $cache" >&2
else
  cp "$src/package.json" "$src/package-lock.json" "$cache/"
  start=$SECONDS
  # npm ci removes any existing node_modules first, so a half-done install heals.
  npm ci --no-audit --no-fund --prefix "$cache"
  echo "install-clients: installed in $((SECONDS - start)) s into $cache ($(du -sh "$cache/node_modules" | cut -f1))" >&2
fi

if [[ ! -x "$claude" ]]; then
  echo "install-clients: no claude binary at $claude" >&2
  exit 1
fi
echo "$claude"
