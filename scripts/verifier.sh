#!/usr/bin/env bash
# What every commit must pass besides the tests (run it before committing):
#   formatting, clippy with warnings as errors on every target, and the sqlx offline query
#   data of both backends up to date (needs sqlx-cli and PostgreSQL, see sqlx-prepare.sh).
# Usage: scripts/verifier.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
scripts/sqlx-prepare.sh --check
echo "vérifications passées : format, clippy, requêtes sqlx"
