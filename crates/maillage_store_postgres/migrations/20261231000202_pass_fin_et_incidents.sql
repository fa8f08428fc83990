-- End of validity of a programme: the steps done, once each (J−30 alert, J−15 blocking of
-- the passes never given out, validated by the funder; after the tolerance date, the
-- remaining passes expired and the credit note of every pass not redeemed). `nombre` and
-- `montant_centimes`: the passes the step concerns and their value.
CREATE TABLE pass_fin_validite (
    programme_id     BIGINT NOT NULL REFERENCES pass_programmes (id),
    etape            TEXT NOT NULL CHECK (etape IN ('alerte', 'blocage', 'avoir')),
    acteur           TEXT NOT NULL,
    fait_at          TIMESTAMPTZ NOT NULL,
    nombre           BIGINT NOT NULL,
    montant_centimes BIGINT NOT NULL,
    PRIMARY KEY (programme_id, etape)
);

-- « Utilisation forcée »: a redemption recorded offline (a phone without network) and sent
-- later, flagged; paid only once the funder accepts its incident.
ALTER TABLE pass_utilisations ADD COLUMN forcee BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE pass_utilisations ADD COLUMN hors_ligne_at TIMESTAMPTZ;

CREATE TABLE pass_incidents (
    id             BIGSERIAL PRIMARY KEY,
    utilisation_id BIGINT NOT NULL UNIQUE REFERENCES pass_utilisations (id),
    motif          TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    decision       TEXT CHECK (decision IN ('acceptee', 'refusee')),
    decide_par     TEXT,
    decide_at      TIMESTAMPTZ,
    commentaire    TEXT,
    -- The seq of the decision's ledger entry.
    decision_seq   BIGINT
);
