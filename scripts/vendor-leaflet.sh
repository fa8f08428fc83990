#!/usr/bin/env bash
# Copies Leaflet and its marker-cluster plugin from the npm registry into the web crate.
set -euo pipefail
cd "$(dirname "$0")/.."
LEAFLET=1.9.4
CLUSTER=1.5.3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "leaflet@$LEAFLET" "leaflet.markercluster@$CLUSTER" >/dev/null)
dest=crates/maillage_web/assets/vendor
mkdir -p "$dest/leaflet-$LEAFLET" "$dest/leaflet.markercluster-$CLUSTER"
tar -xzf "$tmp/leaflet-$LEAFLET.tgz" -C "$tmp" && mv "$tmp/package" "$tmp/leaflet"
tar -xzf "$tmp/leaflet.markercluster-$CLUSTER.tgz" -C "$tmp" && mv "$tmp/package" "$tmp/cluster"
cp "$tmp/leaflet/dist/leaflet.js" "$tmp/leaflet/dist/leaflet.css" "$tmp/leaflet/LICENSE" "$dest/leaflet-$LEAFLET/"
cp "$tmp/cluster/dist/leaflet.markercluster.js" "$tmp/cluster/dist/MarkerCluster.css" "$tmp/cluster/MIT-LICENCE.txt" "$dest/leaflet.markercluster-$CLUSTER/"
echo "Leaflet $LEAFLET et leaflet.markercluster $CLUSTER copiés dans $dest"
