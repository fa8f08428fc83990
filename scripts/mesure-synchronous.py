#!/usr/bin/env python3
"""The cost of SQLite's `synchronous = FULL` against `NORMAL` (WAL) on the disk of the data
directory (docs/PERFORMANCE.md « Durabilité SQLite »): serialised write transactions, one
small row each, as a Maillage write is. Measures the disk's fsync, not Maillage.

  scripts/mesure-synchronous.py [DIRECTORY] [TRANSACTIONS]
"""

import os
import sqlite3
import statistics
import sys
import time


def mesurer(dossier, mode, n):
    chemin = os.path.join(dossier, f"mesure-synchronous-{mode}.db")

    def effacer():
        for s in ("", "-wal", "-shm"):
            try:
                os.remove(chemin + s)
            except FileNotFoundError:
                pass

    effacer()
    c = sqlite3.connect(chemin, isolation_level=None)
    c.execute("PRAGMA journal_mode = WAL")
    c.execute(f"PRAGMA synchronous = {mode}")
    c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, h BLOB, v TEXT)")
    durees = []
    for _ in range(n):
        t = time.perf_counter()
        c.execute("BEGIN IMMEDIATE")
        c.execute("INSERT INTO t (h, v) VALUES (randomblob(32), ?)", ("x" * 200,))
        c.execute("COMMIT")
        durees.append(time.perf_counter() - t)
    c.close()
    effacer()
    durees.sort()
    return (
        statistics.median(durees) * 1e6,
        durees[int(len(durees) * 0.99)] * 1e6,
        n / sum(durees),
    )


def main():
    dossier = sys.argv[1] if len(sys.argv) > 1 else "."
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    print(f"SQLite {sqlite3.sqlite_version}, {n} transactions, in {os.path.abspath(dossier)}")
    for _ in range(2):
        for mode in ("NORMAL", "FULL"):
            med, p99, par_s = mesurer(dossier, mode, n)
            print(f"{mode:6}  median {med:8.0f} µs  p99 {p99:8.0f} µs  {par_s:8.0f} commits/s")


if __name__ == "__main__":
    main()
