#!/usr/bin/env bash
# Load and soak of a release `maillage serve` on this machine's loopback (issue 21, item 7).
#
#   scripts/charge.sh [sqlite|postgres] [DURÉE] [ENDURANCE_S]
#
# - an empty instance is made in a scratch directory (and, for postgres, a scratch database on
#   127.0.0.1:5432 dropped at the end), set up only with the product's own commands: the
#   bundled places (loaded by `serve` on an empty database), a funder, a place with a SIRET, a
#   pass programme, a carnet of $MAILLAGE_CHARGE_PASS passes (default 2,000) each handed out by
#   `maillage pass distribuer`, the place's API key, and an event whose session takes
#   100,000 registrations (the most a session takes; beyond, answers are « liste_attente », still 201) (`maillage evenements importer`);
# - `wrk` (Debian's) then drives each request for DURÉE (default 20s) with
#   $MAILLAGE_CHARGE_CONNEXIONS connections (default 32) on 2 threads, `Accept-Encoding: gzip`:
#   the places' JSON search, the search page, a place's page, the home page, a coordinator's
#   territory page (`/territoires/dep:31`), registrations (POST, JSON API), then the
#   redemption of every distributed pass once (POST, JSON API, bounded by their number);
# - with ENDURANCE_S (e.g. 300), a soak follows: the mix of `charge/melange.lua` at saturation
#   for that many seconds, the server's resident memory (VmRSS) read every 10 s.
# It prints a table (requests/s, p50, p99, answers other than 2xx, socket errors) and the
# memory. The binary is $MAILLAGE_BIN, else target/release/maillage (built if missing).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="${1:-sqlite}"
DUREE="${2:-20s}"
ENDURANCE="${3:-0}"
CONNEXIONS="${MAILLAGE_CHARGE_CONNEXIONS:-32}"
NPASS="${MAILLAGE_CHARGE_PASS:-2000}"
PORT="${MAILLAGE_CHARGE_PORT:-18180}"
BIN="${MAILLAGE_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/maillage}"
command -v wrk >/dev/null || { echo "wrk manque : apt-get install wrk" >&2; exit 1; }
if [ ! -x "$BIN" ]; then
  (cd "$ROOT" && cargo build --release -p maillage_cli)
fi

DIR="$(mktemp -d "${TMPDIR:-/tmp}/maillage-charge.XXXXXX")"
PG_DB=""
case "$BASE" in
  sqlite) URL="sqlite://$DIR/maillage.db" ;;
  postgres)
    PG_DB="maillage_charge_$$"
    psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $PG_DB" >/dev/null
    URL="postgres://postgres@127.0.0.1:5432/$PG_DB" ;;
  *) echo "usage: $0 [sqlite|postgres] [DURÉE] [ENDURANCE_S]" >&2; exit 2 ;;
esac
SERVEUR=""
nettoyer() {
  [ -n "$SERVEUR" ] && kill "$SERVEUR" 2>/dev/null && wait "$SERVEUR" 2>/dev/null || true
  [ -n "$PG_DB" ] && psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null || true
  if [ -n "${MAILLAGE_CHARGE_GARDER:-}" ]; then echo "Dossier gardé : $DIR" >&2; else rm -rf "$DIR"; fi
}
trap nettoyer EXIT
export MAILLAGE_DATABASE_URL="$URL" MAILLAGE_DATA_DIR="$DIR" MAILLAGE_LISTEN="127.0.0.1:$PORT"
export MAILLAGE_LIMITE_INSCRIPTIONS_PAR_MINUTE=0 RUST_LOG="${RUST_LOG:-warn}"
unset MAILLAGE_ADRESSE_PUBLIQUE MAILLAGE_SMTP_URL MAILLAGE_OIDC_ISSUER
ADRESSE="http://127.0.0.1:$PORT"
BORNEE=""
m() { "$BIN" "$@"; }
numero() { sed -n "s/.*$1 *\([0-9][0-9]*\).*/\1/p" | head -n1; }

echo "Préparation (base $BASE, $NPASS pass)…"
financeur=$(m mediation structure "Conseil départemental de la Haute-Garonne" --commune 31555 | numero 'créée : nº')
lieu=$(m mediation structure "Espace numérique de Muret" --siret 73282932000074 --commune 31395 | numero 'créée : nº')
m mediation lieu --structure "$lieu" "Médiathèque de Muret" --commune 31395 >/dev/null
programme=$(m pass programme --financeur "$financeur" --nom "Pass numérique (charge)" \
  --budget 100000000 --valeur 10 --fin "$(( $(date +%Y) + 1 ))-12-31" --territoire dep:31 | numero 'Programme n°')
m pass qualifier --programme "$programme" --structure "$lieu" >/dev/null
m pass prescripteur --programme "$programme" --structure "$lieu" >/dev/null
: > "$DIR/codes.txt"
reste=$NPASS
while [ "$reste" -gt 0 ]; do
  n=$(( reste < 1000 ? reste : 1000 ))
  m pass carnet --programme "$programme" --nombre "$n" \
    | awk '{ gsub(/^ +| +$/, "") } length($0) == 14 && gsub(/-/, "-") == 2' >> "$DIR/codes.txt"
  reste=$(( reste - n ))
done
[ "$(wc -l < "$DIR/codes.txt")" -eq "$NPASS" ] || { echo "carnet : $(wc -l < "$DIR/codes.txt") codes lus, $NPASS attendus" >&2; exit 1; }
debut=$(date +%s)
while read -r code; do
  m pass distribuer --prescripteur "$lieu" --code "$code" --commune 31395 --tranche-age 25-39 >/dev/null
done < "$DIR/codes.txt"
echo "  $NPASS pass remis en $(( $(date +%s) - debut )) s"
cle=$(m pass cle --structure "$lieu" | tr ' ' '\n' | grep '^mpk_' | head -n1)
cat > "$DIR/evenement.json" <<JSON
{"titre": "Atelier numérique à Muret (charge)", "type": "atelier", "commune": "31395",
 "adresse": "Allées Niel", "debut": "2035-06-12T09:00:00+02:00", "fin": "2035-06-12T17:00:00+02:00",
 "sessions": [{"titre": "Premiers pas", "type": "atelier", "debut": "2035-06-12T10:00:00+02:00",
               "fin": "2035-06-12T12:00:00+02:00", "capacite": 100000}]}
JSON
evenement=$(m evenements importer "$DIR/evenement.json" | numero 'Événement créé : n°')

if curl -s -o /dev/null "$ADRESSE/sante"; then
  echo "Le port $PORT répond déjà : arrêtez ce serveur ou choisissez MAILLAGE_CHARGE_PORT." >&2
  exit 1
fi
"$BIN" serve > "$DIR/serve.log" 2>&1 &
SERVEUR=$!
for _ in $(seq 1 600); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$ADRESSE/pret" || true)" = 200 ] && break
  kill -0 "$SERVEUR" 2>/dev/null || { cat "$DIR/serve.log" >&2; exit 1; }
  sleep 0.5
done
session=$(curl -sf "$ADRESSE/api/v1/evenements/$evenement" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sessions"][0]["id"])')
place=$(curl -sf "$ADRESSE/api/v1/lieux?ou=toulouse&limit=1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print((d.get("lieux") or d.get("resultats") or d["items"])[0]["id"])')
rss() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$SERVEUR/status"; }
# Warm-up: the first territory page computes the national index and coverage once.
curl -s -o /dev/null "$ADRESSE/territoires/dep:31"
echo "Serveur prêt (pid $SERVEUR, $(rss) Mio) ; $(nproc) cœurs, charge $(cut -d' ' -f1-3 /proc/loadavg)"

printf '\n| requête | req/s | p50 | p99 | hors 2xx | erreurs de socket |\n|---|---|---|---|---|---|\n'
mesurer() { # nom, chemin, durée, [script lua, arguments du script…]
  local nom="$1" chemin="$2" duree="$3"; shift 3
  local script=()
  if [ $# -gt 0 ]; then script=(-s "$1"); shift; fi
  local sortie t0 t1
  t0=$(date +%s.%N)
  if [ "$duree" = "$BORNEE" ]; then
    # Bounded by the number of codes: the script marks each thread done; wrk is then
    # stopped with SIGINT (it prints its figures).
    wrk -t2 -c"$CONNEXIONS" -d"$duree" --latency "${script[@]}" "$ADRESSE$chemin" -- "$@" \
      > "$DIR/wrk.txt" &
    local wrk_pid=$!
    while kill -0 "$wrk_pid" 2>/dev/null && [ "$(ls "$1".fini-* 2>/dev/null | wc -l)" -lt 2 ]; do
      sleep 0.1
    done
    t1=$(date +%s.%N)
    kill -INT "$wrk_pid" 2>/dev/null || true
    wait "$wrk_pid" || true
    sortie=$(cat "$DIR/wrk.txt")
  else
    sortie=$(wrk -t2 -c"$CONNEXIONS" -d"$duree" --latency -H 'Accept-Encoding: gzip' "${script[@]}" \
      "$ADRESSE$chemin" ${1:+--} "$@")
    t1=$(date +%s.%N)
  fi
  local rps p50 p99 non2xx socket
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$sortie")
  p50=$(awk '$1=="50%" {print $2}' <<<"$sortie")
  p99=$(awk '$1=="99%" {print $2}' <<<"$sortie")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$sortie"); non2xx=${non2xx:-0}
  socket=$(awk -F'[ ,]+' '/Socket errors/ {print $4+$6+$8+$10}' <<<"$sortie"); socket=${socket:-0}
  REQUETES=$(awk '/requests in/ {print $1}' <<<"$sortie")
  if [ "$duree" = "$BORNEE" ]; then
    # wrk divides by its own duration, which includes the wait for the last thread's mark.
    rps=$(awk -v n="$REQUETES" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", n / (b - a)}')
  fi
  printf '| %s | %s | %s | %s | %s | %s |\n' "$nom" "$rps" "$p50" "$p99" "$non2xx" "$socket"
}
mesurer "recherche JSON \`/api/v1/lieux?ou=lille\`" "/api/v1/lieux?ou=lille" "$DUREE"
mesurer "page de recherche \`/lieux?ou=toulouse\`" "/lieux?ou=toulouse" "$DUREE"
mesurer "fiche d'un lieu \`/lieux/{id}\`" "/lieux/$place" "$DUREE"
mesurer "accueil \`/\`" "/" "$DUREE"
mesurer "page de territoire \`/territoires/dep:31\`" "/territoires/dep:31" "$DUREE"
mesurer "inscription (POST JSON)" "/" "$DUREE" "$ROOT/scripts/charge/inscription.lua" "$session"
BORNEE=600s
mesurer "utilisation de pass (POST JSON, $NPASS pass)" "/" "$BORNEE" "$ROOT/scripts/charge/utilisation.lua" "$DIR/codes.txt" "$cle" 2
[ "$REQUETES" -ge "$NPASS" ] || echo "Attention : $REQUETES requêtes d'utilisation pour $NPASS pass." >&2
echo
echo "Mémoire du serveur après les mesures : $(rss) Mio (VmRSS) ; pic $(awk '/VmHWM/ {print int($2/1024)}' "/proc/$SERVEUR/status") Mio (VmHWM)"

if [ "$ENDURANCE" -gt 0 ]; then
  echo
  echo "Endurance : $ENDURANCE s au mélange de charge/melange.lua, $CONNEXIONS connexions…"
  debut_rss=$(rss)
  ( while kill -0 "$SERVEUR" 2>/dev/null; do echo "$(date +%s) $(rss)"; sleep 10; done ) > "$DIR/rss.txt" &
  SONDE=$!
  sortie=$(wrk -t2 -c"$CONNEXIONS" -d"${ENDURANCE}s" --latency -H 'Accept-Encoding: gzip' \
    -s "$ROOT/scripts/charge/melange.lua" "$ADRESSE/" -- "$session" "$place")
  kill "$SONDE" 2>/dev/null || true
  echo "$sortie" | sed 's/^/  /'
  echo "  VmRSS toutes les 10 s (Mio) : $(awk '{printf "%s ", $2}' "$DIR/rss.txt")"
  echo "Résumé de l'endurance : $(awk '/Requests\/sec/ {print $2}' <<<"$sortie") req/s, p99 $(awk '$1=="99%" {print $2}' <<<"$sortie"), $(awk '/Non-2xx/ {print $NF}' <<<"$sortie" | grep . || echo 0) réponses hors 2xx, mémoire $debut_rss Mio au début, $(rss) Mio à la fin."
fi
grep -E ' (ERROR|WARN) ' "$DIR/serve.log" | head -n 5 || true
