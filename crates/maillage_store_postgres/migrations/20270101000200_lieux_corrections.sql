-- Corrections of published places (field-level overrides keyed by the published id, with
-- their origin: `coordination` or `lieu`; undoing one sets `annulee_at`, nothing is
-- deleted), coordinators' campaigns, and the personal links sent to the places (only the
-- SHA-256 of the token is kept). Timestamps in UTC.
CREATE TABLE lieux_corrections (
    id          BIGSERIAL PRIMARY KEY,
    lieu_id     TEXT NOT NULL,
    champ       TEXT NOT NULL,
    valeur      TEXT NOT NULL,
    origine     TEXT NOT NULL CHECK (origine IN ('coordination', 'lieu')),
    auteur_id   BIGINT,
    auteur      TEXT NOT NULL,
    code_insee  TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    annulee_at TIMESTAMPTZ,
    annulee_par TEXT
);

CREATE INDEX lieux_corrections_lieu ON lieux_corrections (lieu_id, id);

CREATE TABLE lieux_campagnes (
    id         BIGSERIAL PRIMARY KEY,
    nom        TEXT NOT NULL,
    territoire TEXT NOT NULL,
    compte_id  BIGINT,
    cree_par   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE lieux_liens (
    id          BIGSERIAL PRIMARY KEY,
    lieu_id     TEXT NOT NULL,
    lieu_nom    TEXT NOT NULL,
    code_insee  TEXT,
    campagne_id BIGINT REFERENCES lieux_campagnes (id),
    jeton_hash  TEXT NOT NULL UNIQUE,
    courriel    TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    expire_at TIMESTAMPTZ NOT NULL,
    ouvert_at TIMESTAMPTZ,
    repondu_at TIMESTAMPTZ,
    reponse     TEXT CHECK (reponse IN ('confirme', 'corrige'))
);

CREATE INDEX lieux_liens_campagne ON lieux_liens (campagne_id);
CREATE INDEX lieux_liens_lieu ON lieux_liens (lieu_id);
