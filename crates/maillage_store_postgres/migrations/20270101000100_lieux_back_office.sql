-- The directory's back office (coordinators in the browser).
--
-- Files uploaded for an import and waiting for « Appliquer »: kept in the database (not in a
-- process's memory: another node may serve the next request), keyed by a random token.
-- `territoires` holds the codes (`dep:31`, …) of the uploader's territories, comma-separated,
-- empty for an administrator. Once applied, the file is dropped (`contenu` NULL) and the
-- import's id and line-by-line report (JSON) are kept, so the report stays readable.
CREATE TABLE imports_en_attente (
    jeton           TEXT PRIMARY KEY,
    compte_id       BIGINT NOT NULL,
    territoires     TEXT NOT NULL,
    source          TEXT NOT NULL,
    format          TEXT,
    nom_fichier     TEXT NOT NULL,
    contenu         BYTEA,
    retirer_absents BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMPTZ NOT NULL,
    applique_at     TIMESTAMPTZ,
    import_id       BIGINT,
    rapport_json    TEXT
);
CREATE INDEX imports_en_attente_created ON imports_en_attente (created_at);

-- Every decision on a pair of records, and every undoing of one ('annule'): a decision
-- undone is deleted from pair_decisions but stays here.
CREATE TABLE pair_decisions_historique (
    id         BIGSERIAL PRIMARY KEY,
    ref_a      TEXT COLLATE "C" NOT NULL,
    ref_b      TEXT COLLATE "C" NOT NULL,
    decision   TEXT NOT NULL CHECK (decision IN ('confirme', 'refuse', 'annule')),
    decided_by TEXT NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL,
    note       TEXT,
    CHECK (ref_a < ref_b)
);
CREATE INDEX pair_decisions_historique_paire ON pair_decisions_historique (ref_a, ref_b);
INSERT INTO pair_decisions_historique (ref_a, ref_b, decision, decided_by, decided_at, note)
    SELECT ref_a, ref_b, decision, decided_by, decided_at, note FROM pair_decisions
    ORDER BY decided_at;

-- The note a coordinator writes when closing an error report (cleared with the decision).
ALTER TABLE signalements ADD COLUMN decision_note TEXT;
