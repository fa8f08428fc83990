#!/usr/bin/env bash
# Captures d'écran des pages publiques dans docs/screenshots/ (360 px et 1280 px de large).
# Screenshots of the public pages into docs/screenshots/ (360 px and 1280 px wide).
#
#   scripts/captures.sh            # port 18181 ; PORT=… pour un autre / for another one
#
# Starts the release server on 127.0.0.1 over a temporary data directory (the bundled demo
# places are loaded on an empty database), waits for /sante, runs e2e/captures.mjs, stops the
# server. Needs /usr/bin/chromium and e2e/node_modules (see the install steps of .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-18181}"
BASE="http://127.0.0.1:$PORT"

if [ ! -x /usr/bin/chromium ] || [ ! -d e2e/node_modules ]; then
  echo "Il manque Chromium ou e2e/node_modules : lancez les étapes d'installation de .ci/run." >&2
  echo "Chromium or e2e/node_modules is missing: run the install steps of .ci/run." >&2
  exit 1
fi

cargo build --release -q -p maillage_cli

DONNEES="$(mktemp -d -t maillage-captures.XXXXXX)"
JOURNAL="$DONNEES/serveur.log"
# `cargo run` execs the server in its own process: $SERVEUR is the server's PID.
cargo run --release -q -p maillage_cli -- --data-dir "$DONNEES" serve --listen "127.0.0.1:$PORT" >"$JOURNAL" 2>&1 &
SERVEUR=$!
arreter() {
  kill -INT "$SERVEUR" 2>/dev/null || true
  wait "$SERVEUR" 2>/dev/null || true
  rm -rf "$DONNEES"
}
trap arreter EXIT

for _ in $(seq 1 240); do
  if curl -fsS "$BASE/sante" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVEUR" 2>/dev/null; then
    echo "Le serveur s'est arrêté / the server stopped:" >&2
    cat "$JOURNAL" >&2
    exit 1
  fi
  sleep 0.5
done
curl -fsS "$BASE/sante" >/dev/null

node e2e/captures.mjs "$BASE" docs/screenshots
