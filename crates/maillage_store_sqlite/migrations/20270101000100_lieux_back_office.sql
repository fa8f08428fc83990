-- The directory's back office (coordinators in the browser).
--
-- Files uploaded for an import and waiting for « Appliquer »: kept in the database (not in a
-- process's memory: another node may serve the next request), keyed by a random token.
-- `territoires` holds the codes (`dep:31`, …) of the uploader's territories, comma-separated,
-- empty for an administrator. Once applied, the file is dropped (`contenu` NULL) and the
-- import's id and line-by-line report (JSON) are kept, so the report stays readable.
CREATE TABLE imports_en_attente (
    jeton           TEXT PRIMARY KEY,
    compte_id       INTEGER NOT NULL,
    territoires     TEXT NOT NULL,
    source          TEXT NOT NULL,
    format          TEXT,
    nom_fichier     TEXT NOT NULL,
    contenu         BLOB,
    retirer_absents INTEGER NOT NULL DEFAULT 0 CHECK (retirer_absents IN (0, 1)),
    created_at      TEXT NOT NULL,
    applique_at     TEXT,
    import_id       INTEGER,
    rapport_json    TEXT
) STRICT;
CREATE INDEX imports_en_attente_created ON imports_en_attente (created_at);

-- Every decision on a pair of records, and every undoing of one ('annule'): a decision
-- undone is deleted from pair_decisions but stays here.
CREATE TABLE pair_decisions_historique (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    ref_a      TEXT NOT NULL,
    ref_b      TEXT NOT NULL,
    decision   TEXT NOT NULL CHECK (decision IN ('confirme', 'refuse', 'annule')),
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    note       TEXT,
    CHECK (ref_a < ref_b)
) STRICT;
CREATE INDEX pair_decisions_historique_paire ON pair_decisions_historique (ref_a, ref_b);
INSERT INTO pair_decisions_historique (ref_a, ref_b, decision, decided_by, decided_at, note)
    SELECT ref_a, ref_b, decision, decided_by, decided_at, note FROM pair_decisions
    ORDER BY decided_at;

-- The note a coordinator writes when closing an error report (cleared with the decision).
ALTER TABLE signalements ADD COLUMN decision_note TEXT;
