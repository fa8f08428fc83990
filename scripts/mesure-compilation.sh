#!/usr/bin/env bash
# Incremental rebuild times of the test build (`cargo test --workspace --no-run`) after a
# real edit of (a) the Médiation SQL of the SQLite backend, (b) a Mandats use case, (c) one
# template: each edit adds a private function (or an HTML comment) to one file, so that the
# crate's content changes (a `touch` alone lets rustc reuse everything), then the file is
# restored and the build brought back up to date, unmeasured.
# usage: scripts/mesure-compilation.sh [RESULTS_FILE]   (run after a full test build)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/dev/stdout}
mandats=crates/maillage_mandats/src/lib.rs
[ -f "$mandats" ] || mandats=crates/maillage_app/src/mandats/mod.rs
gabarit=crates/maillage_web/templates/espace/mandat_form.html
mesurer() {
  local debut fin
  debut=$(date +%s.%N)
  cargo test --workspace --no-run >/dev/null 2>&1
  fin=$(date +%s.%N)
  printf '%s %.1f s\n' "$1" "$(echo "$fin - $debut" | bc)" >>"$out"
}
modifier() { # file, text to append, label
  cp "$1" "$1.orig"
  printf '%s\n' "$2" >>"$1"
  mesurer "$3"
  mv "$1.orig" "$1"
  touch "$1"
  cargo test --workspace --no-run >/dev/null 2>&1
}
cargo test --workspace --no-run >/dev/null 2>&1
mesurer "rien (à jour)"
modifier crates/maillage_store_sqlite/src/mediation.rs \
  '#[allow(dead_code)] fn _mesure_compilation() -> u32 { 1 }' "(a) SQL Médiation (SQLite)"
modifier "$mandats" '#[allow(dead_code)] fn _mesure_compilation() -> u32 { 1 }' \
  "(b) cas d'usage Mandats"
modifier "$gabarit" '<!-- mesure -->' "(c) gabarit"
