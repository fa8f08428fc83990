#!/usr/bin/env bash
# Crash safety, the long run (issue 21, item 1; docs/EXPLOITATION.md « Coupures brutales »):
# the kill -9 harness of crates/maillage_cli/tests/cli/crash.rs with more kills per backend
# and more killed imports. Every acknowledged write is read back after each restart, the
# journal verified; the seed is printed (replay a failure with MAILLAGE_CRASH_GRAINE=SEED).
#
# usage: scripts/crash.sh [KILLS_PER_BACKEND] [KILLED_IMPORTS_PER_BACKEND] [TEST_FILTER]
#   scripts/crash.sh                 # 500 kills per backend, 10 killed imports per backend
#   scripts/crash.sh 2000 20 crash_sqlite
# PostgreSQL: MAILLAGE_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres);
# each run works in scratch databases it drops at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export MAILLAGE_CRASH_COUPURES=${1:-500}
export MAILLAGE_CRASH_IMPORTS=${2:-10}
filtre=${3:-crash_}
nice -n 5 cargo test -p maillage_cli --test cli "$filtre" -- --nocapture --test-threads=1
