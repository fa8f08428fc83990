#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of untrusted input (issue 21, item 6).
#
#   scripts/fuzz.sh [EXECUTIONS] [CIBLE…]
#
# Builds the libFuzzer targets of fuzz/ once (cargo-fuzz, release with debug assertions and
# overflow checks, no sanitizer: the workspace forbids `unsafe`), then runs each target for
# EXECUTIONS inputs (default 1,000,000; at most FUZZ_DUREE_MAX seconds, default 1800) and
# prints one French line per target: executions, seconds, crashes. Targets run
# FUZZ_PARALLELE at a time (default 2), under `nice -n 10`. Exit status 1 if any target
# crashed (its input is in fuzz/artifacts/<cible>/: replay it with
# `fuzz/target/x86_64-unknown-linux-gnu/release/<cible> FICHIER`).
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). Only the stable toolchain is required:
# cargo-fuzz passes nightly-only flags, accepted with RUSTC_BOOTSTRAP=1.
# Seeds: fuzz/corpus/<cible>/ (read-only, committed); what the fuzzer finds goes to
# fuzz/target/corpus/<cible>/ (not committed). Logs: fuzz/target/journaux/<cible>.log.
set -euo pipefail

EXECUTIONS="${1:-1000000}"
shift || true
DUREE_MAX="${FUZZ_DUREE_MAX:-1800}"
PARALLELE="${FUZZ_PARALLELE:-2}"
RACINE="$(cd "$(dirname "$0")/.." && pwd)"
cd "$RACINE/fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz est absent : cargo install cargo-fuzz" >&2
    exit 2
fi

CIBLES=("$@")
if [ ${#CIBLES[@]} -eq 0 ]; then
    mapfile -t CIBLES < <(cargo fuzz list)
fi

echo "Construction des cibles (cargo fuzz build -O -a -s none)…"
RUSTC_BOOTSTRAP=1 SQLX_OFFLINE=true nice -n 10 cargo fuzz build -O -a -s none >&2

BINAIRES="$RACINE/fuzz/target/x86_64-unknown-linux-gnu/release"
mkdir -p target/journaux target/corpus

# One target: runs it, then prints its summary line from libFuzzer's final statistics.
lancer() {
    local cible="$1"
    local journal="target/journaux/$cible.log"
    mkdir -p "target/corpus/$cible" "artifacts/$cible" "corpus/$cible"
    local avant apres debut fin code=0
    avant=$(find "artifacts/$cible" -type f | wc -l)
    debut=$(date +%s)
    nice -n 10 "$BINAIRES/$cible" "target/corpus/$cible" "corpus/$cible" \
        -runs="$EXECUTIONS" -max_total_time="$DUREE_MAX" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="artifacts/$cible/" >"$journal" 2>&1 || code=$?
    fin=$(date +%s)
    apres=$(find "artifacts/$cible" -type f | wc -l)
    local executions
    executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$journal" | grep -o '[0-9]*$' | tail -1)
    local plantages=$((apres - avant))
    if [ "$code" -ne 0 ] && [ "$plantages" -eq 0 ]; then plantages=1; fi
    printf '%s : %s exécutions en %s s, %s plantage(s)%s\n' "$cible" "${executions:-?}" \
        "$((fin - debut))" "$plantages" "$([ "$plantages" -gt 0 ] && echo " — voir fuzz/$journal et fuzz/artifacts/$cible/")"
    if [ "$plantages" -gt 0 ]; then echo "$cible" >>target/journaux/echecs; fi
}

echo "Fuzzing : ${#CIBLES[@]} cibles, $EXECUTIONS exécutions chacune (au plus $DUREE_MAX s), $PARALLELE à la fois."
rm -f target/journaux/echecs
for cible in "${CIBLES[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$PARALLELE" ]; do
        wait -n || true
    done
    lancer "$cible" &
done
wait
if [ -s target/journaux/echecs ]; then
    echo "Cibles qui ont planté : $(tr '\n' ' ' <target/journaux/echecs)"
    exit 1
fi
echo "Aucun plantage."
