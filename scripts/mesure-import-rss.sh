#!/usr/bin/env bash
# Peak memory of `maillage import` on one file, split between the import (reading, checking,
# writing by batches) and the re-merge: runs the import under /usr/bin/time -v with
# RUST_LOG=info (the log says when the import is stored) and samples VmRSS every 0.5 s.
#
#   scripts/mesure-import-rss.sh BINAIRE FICHIER [DOSSIER]
#     BINAIRE  target/release/maillage (or target/debug/maillage)
#     FICHIER  e.g. /tmp/gros/valides-1go.json (examples/genere_gros_fichier.rs of maillage_annuaire)
#     DOSSIER  scratch directory (default /tmp/gros): base/, import.out, import.err, rss.txt
# Prints the peak before and after « import stored » and the time -v summary.
set -euo pipefail
BIN=$1
FICHIER=$2
DOSSIER=${3:-/tmp/gros}
mkdir -p "$DOSSIER"
rm -rf "$DOSSIER/base"
debut=$(date +%s.%N)
RUST_LOG=info /usr/bin/time -v "$BIN" --data-dir "$DOSSIER/base" import --source synth "$FICHIER" \
    > "$DOSSIER/import.out" 2> "$DOSSIER/import.err" &
TPID=$!
sleep 0.3
PID=$(pgrep -P "$TPID" | head -1)
: > "$DOSSIER/rss.txt"
while kill -0 "$PID" 2>/dev/null; do
    echo "$(date +%s.%N) $(awk '/VmRSS/ {print $2}' "/proc/$PID/status" 2>/dev/null || true)" >> "$DOSSIER/rss.txt"
    sleep 0.5
done
set +e
wait "$TPID"
code=$?
set -e
python3 - "$DOSSIER" "$debut" <<'PY'
import datetime, re, sys
dossier, debut = sys.argv[1], float(sys.argv[2])
err = open(f"{dossier}/import.err", encoding="utf-8", errors="replace").read()
plain = re.sub(r"\x1b\[[0-9;]*m", "", err)
m = re.search(r"^(\S+Z)\s+INFO.*import stored", plain, re.M)
rows = [(float(a), int(b)) for a, b in (l.split() for l in open(f"{dossier}/rss.txt") if len(l.split()) == 2)]
if m and rows:
    t = datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp()
    avant = [r for x, r in rows if x < t]
    apres = [r for x, r in rows if x >= t]
    print(f"import stored after {t - debut:.1f} s")
    print(f"peak until stored: {max(avant, default=0) // 1024} MiB; re-merge: {max(apres, default=0) // 1024} MiB")
for l in plain.splitlines():
    if any(k in l for k in ("Maximum resident", "Elapsed", "User time", "System time")):
        print(l.strip())
PY
tail -3 "$DOSSIER/import.out"
exit $code
