-- Corrections of published places (field-level overrides keyed by the published id, with
-- their origin: `coordination` or `lieu`; undoing one sets `annulee_at`, nothing is
-- deleted), coordinators' campaigns, and the personal links sent to the places (only the
-- SHA-256 of the token is kept). Timestamps are RFC 3339 text in UTC.
CREATE TABLE lieux_corrections (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    lieu_id     TEXT NOT NULL,
    champ       TEXT NOT NULL,
    valeur      TEXT NOT NULL,
    origine     TEXT NOT NULL CHECK (origine IN ('coordination', 'lieu')),
    auteur_id   INTEGER,
    auteur      TEXT NOT NULL,
    code_insee  TEXT,
    created_at  TEXT NOT NULL,
    annulee_at  TEXT,
    annulee_par TEXT
) STRICT;

CREATE INDEX lieux_corrections_lieu ON lieux_corrections (lieu_id, id);

CREATE TABLE lieux_campagnes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    nom        TEXT NOT NULL,
    territoire TEXT NOT NULL,
    compte_id  INTEGER,
    cree_par   TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE lieux_liens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    lieu_id     TEXT NOT NULL,
    lieu_nom    TEXT NOT NULL,
    code_insee  TEXT,
    campagne_id INTEGER REFERENCES lieux_campagnes (id),
    jeton_hash  TEXT NOT NULL UNIQUE,
    courriel    TEXT,
    created_at  TEXT NOT NULL,
    expire_at   TEXT NOT NULL,
    ouvert_at   TEXT,
    repondu_at  TEXT,
    reponse     TEXT CHECK (reponse IN ('confirme', 'corrige'))
) STRICT;

CREATE INDEX lieux_liens_campagne ON lieux_liens (campagne_id);
CREATE INDEX lieux_liens_lieu ON lieux_liens (lieu_id);
