-- End of validity of a programme: the steps done, once each (J−30 alert, J−15 blocking of
-- the passes never given out, validated by the funder; after the tolerance date, the
-- remaining passes expired and the credit note of every pass not redeemed). `nombre` and
-- `montant_centimes`: the passes the step concerns and their value.
CREATE TABLE pass_fin_validite (
    programme_id     INTEGER NOT NULL REFERENCES pass_programmes (id),
    etape            TEXT NOT NULL CHECK (etape IN ('alerte', 'blocage', 'avoir')),
    acteur           TEXT NOT NULL,
    fait_at          TEXT NOT NULL,
    nombre           INTEGER NOT NULL,
    montant_centimes INTEGER NOT NULL,
    PRIMARY KEY (programme_id, etape)
) STRICT;

-- « Utilisation forcée »: a redemption recorded offline (a phone without network) and sent
-- later, flagged; paid only once the funder accepts its incident.
ALTER TABLE pass_utilisations ADD COLUMN forcee INTEGER NOT NULL DEFAULT 0 CHECK (forcee IN (0, 1));
ALTER TABLE pass_utilisations ADD COLUMN hors_ligne_at TEXT;

CREATE TABLE pass_incidents (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    utilisation_id INTEGER NOT NULL UNIQUE REFERENCES pass_utilisations (id),
    motif          TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    decision       TEXT CHECK (decision IN ('acceptee', 'refusee')),
    decide_par     TEXT,
    decide_at      TEXT,
    commentaire    TEXT,
    -- The seq of the decision's ledger entry.
    decision_seq   INTEGER
) STRICT;
