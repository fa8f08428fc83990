#!/usr/bin/env python3
"""Mémoire du serveur sous requêtes concurrentes à l'API des territoires.
Server memory under concurrent requests to the territory API (issue « Failles », item 3).

    python3 scripts/mesure-territoire-concurrence.py target/release/maillage [PORT] [CLIENTS] [SECONDES] [froid]

Starts `maillage serve` on 127.0.0.1:PORT over a fresh data directory (bundled demo places),
waits for /sante, then CLIENTS threads (default 32) each request, in a loop for SECONDES
(default 30), the heaviest anonymous territory answers: the whole of France's index, page
by page (limit=5000), France's coverage and white zones, the tour plan of the largest
region. Reads the server's resident memory (VmRSS) every 50 ms and its peak (VmHWM) at the
end. With `froid` (cold), every request asks a page size never asked before, so that no
answer comes from the cache of serialised answers: each is computed. Prints the answers by status (200, 503 + Retry-After when more than the allowed heavy
computations run at once) and the memory before, peak and after. Standard library only.
"""

import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

CHEMINS = [
    "/api/v1/territoires/fr/indice?limit=5000",
    "/api/v1/territoires/fr/indice?limit=5000&offset=5000",
    "/api/v1/territoires/fr/indice?limit=5000&offset=30000",
    "/api/v1/territoires/fr/couverture?limit=5000",
    "/api/v1/territoires/fr/zones-blanches?limit=5000",
    "/api/v1/territoires/reg:44/plan?arrets=50&rayon_km=50",
]


def memoire(pid):
    """(VmRSS, VmHWM) in KiB."""
    rss = hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for ligne in f:
            if ligne.startswith("VmRSS:"):
                rss = int(ligne.split()[1])
            elif ligne.startswith("VmHWM:"):
                hwm = int(ligne.split()[1])
    return rss, hwm


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    binaire = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 18095
    clients = int(sys.argv[3]) if len(sys.argv) > 3 else 32
    duree = float(sys.argv[4]) if len(sys.argv) > 4 else 30.0
    froid = len(sys.argv) > 5 and sys.argv[5] == "froid"
    compteur = [4999]
    dossier = tempfile.mkdtemp(prefix="maillage-territoire-")
    env = dict(os.environ, MAILLAGE_DATA_DIR=dossier, RUST_LOG="warn")
    env.pop("MAILLAGE_DATABASE_URL", None)
    serveur = subprocess.Popen(
        [binaire, "serve", "--listen", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(dossier, "serveur.log"), "w"),
    )
    try:
        debut = time.time()
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/sante")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            if serveur.poll() is not None or time.time() - debut > 600:
                sys.exit("le serveur n'a pas démarré / server did not start")
            time.sleep(0.2)
        # One request of each kind first: caches filled, as on a server already running.
        for chemin in CHEMINS:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            c.request("GET", chemin)
            c.getresponse().read()
        avant, _ = memoire(serveur.pid)

        statuts = {}
        octets = [0]
        verrou = threading.Lock()
        fin = time.time() + duree

        def client(n):
            i = n
            while time.time() < fin:
                chemin = CHEMINS[i % len(CHEMINS)]
                i += 1
                if froid:
                    with verrou:
                        compteur[0] = compteur[0] - 1 if compteur[0] > 1 else 4999
                        taille = compteur[0]
                    chemin = chemin.replace("limit=5000", f"limit={taille}")
                    if "limit=" not in chemin:
                        chemin += f"&arrets={1 + taille % 50}"
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                    c.request("GET", chemin, headers={"Accept-Encoding": "gzip"})
                    r = c.getresponse()
                    corps = r.read()
                    cle = r.status
                    if r.status == 503 and not r.getheader("Retry-After"):
                        cle = "503 sans Retry-After"
                except OSError as e:
                    cle, corps = f"erreur {type(e).__name__}", b""
                with verrou:
                    statuts[cle] = statuts.get(cle, 0) + 1
                    octets[0] += len(corps)

        pic = [avant]
        arret = threading.Event()

        def echantillonner():
            while not arret.is_set():
                pic[0] = max(pic[0], memoire(serveur.pid)[0])
                time.sleep(0.05)

        e = threading.Thread(target=echantillonner)
        e.start()
        fils = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for f in fils:
            f.start()
        for f in fils:
            f.join()
        arret.set()
        e.join()
        time.sleep(1)
        apres, hwm = memoire(serveur.pid)
        total = sum(statuts.values())
        print(f"{'froid (sans cache)' if froid else 'chaud (réponses en cache)'} : "
              f"{clients} clients, {duree:.0f} s, {total} réponses ({total / duree:.1f}/s), "
              f"{octets[0] / 1e6:.1f} Mo reçus (gzip)")
        for k, v in sorted(statuts.items(), key=lambda kv: str(kv[0])):
            print(f"  {k} : {v}")
        print(f"RSS avant {avant / 1024:.0f} Mio, pic échantillonné {pic[0] / 1024:.0f} Mio, "
              f"VmHWM {hwm / 1024:.0f} Mio, après {apres / 1024:.0f} Mio")
    finally:
        serveur.terminate()
        try:
            serveur.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serveur.kill()
        shutil.rmtree(dossier, ignore_errors=True)


if __name__ == "__main__":
    main()
