#!/usr/bin/env bash
# Regenerates the sqlx offline query data of both storage backends:
#   crates/maillage_store_sqlite/.sqlx/    checked against SQLite
#   crates/maillage_store_postgres/.sqlx/  checked against PostgreSQL
# Run it after changing a query or a migration, and commit both .sqlx/ directories.
#
# Each backend's queries are checked against a scratch database of its own kind, built
# from that backend's migrations: a temporary SQLite file, and a temporary database on
# the PostgreSQL server of MAILLAGE_PREPARE_PG_URL (default: MAILLAGE_TEST_PG_URL, else
# postgres://postgres@127.0.0.1:5432/postgres), dropped at the end.
#
# Needs sqlx-cli: cargo install sqlx-cli --no-default-features --features sqlite,postgres,rustls
# Honours CARGO_TARGET_DIR. Usage: scripts/sqlx-prepare.sh [--check]
#   --check  only verifies that the committed .sqlx/ data is up to date (exit 1 if not).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SQLITE_CRATE="$ROOT/crates/maillage_store_sqlite"
PG_CRATE="$ROOT/crates/maillage_store_postgres"

CHECK=()
case "${1:-}" in
    "") ;;
    --check) CHECK=(--check) ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

if ! command -v sqlx >/dev/null || ! cargo sqlx --version >/dev/null 2>&1; then
    echo "sqlx-cli is missing: cargo install sqlx-cli --no-default-features --features sqlite,postgres,rustls" >&2
    exit 1
fi

PG_SERVER_URL="${MAILLAGE_PREPARE_PG_URL:-${MAILLAGE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}}"
case "$PG_SERVER_URL" in
    *\?*) echo "MAILLAGE_PREPARE_PG_URL must not have query parameters: $PG_SERVER_URL" >&2; exit 2 ;;
esac
PG_DB="maillage_sqlx_prepare_$$_${RANDOM}"
PG_URL="${PG_SERVER_URL%/*}/$PG_DB"

SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/maillage-sqlx-prepare.XXXXXX")"
SQLITE_URL="sqlite://$SCRATCH/prepare.db"

PG_CREATED=0
cleanup() {
    if [ "$PG_CREATED" = 1 ]; then
        sqlx database drop -y --database-url "$PG_URL" >/dev/null 2>&1 \
            || echo "warning: could not drop scratch database $PG_DB" >&2
    fi
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

echo "==> scratch SQLite database $SQLITE_URL"
sqlx database create --database-url "$SQLITE_URL"
sqlx migrate run --source "$SQLITE_CRATE/migrations" --database-url "$SQLITE_URL"

echo "==> scratch PostgreSQL database $PG_DB"
sqlx database create --database-url "$PG_URL"
PG_CREATED=1
sqlx migrate run --source "$PG_CRATE/migrations" --database-url "$PG_URL"

# `cargo sqlx prepare` run from a member's directory checks only that package and writes
# its query data to that package's .sqlx/, which is where the query macros look first.
prepare() {
    local crate_dir="$1" url="$2"
    echo "==> cargo sqlx prepare ${CHECK[*]:-} in ${crate_dir#"$ROOT"/}"
    (cd "$crate_dir" && env DATABASE_URL="$url" SQLX_OFFLINE=false \
        cargo sqlx prepare "${CHECK[@]}" -- --all-targets)
}
prepare "$SQLITE_CRATE" "$SQLITE_URL"
prepare "$PG_CRATE" "$PG_URL"

if [ ${#CHECK[@]} -eq 0 ]; then
    echo "==> offline build check (SQLX_OFFLINE=true, no DATABASE_URL)"
    touch "$SQLITE_CRATE/src/lib.rs" "$PG_CRATE/src/lib.rs"  # force the macros to run again
    (cd "$ROOT" && env -u DATABASE_URL SQLX_OFFLINE=true \
        cargo check -p maillage_store_sqlite -p maillage_store_postgres --all-targets)
    echo "query data written to:"
    echo "  ${SQLITE_CRATE#"$ROOT"/}/.sqlx ($(find "$SQLITE_CRATE/.sqlx" -name 'query-*.json' | wc -l) queries)"
    echo "  ${PG_CRATE#"$ROOT"/}/.sqlx ($(find "$PG_CRATE/.sqlx" -name 'query-*.json' | wc -l) queries)"
    echo "commit both directories."
fi
