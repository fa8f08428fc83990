-- Médiation: accounts, sessions, structures, beneficiaries, activity records (CRA) and
-- the statistics roll-ups. Timestamps are RFC 3339 text in UTC, dates are ISO text,
-- booleans 0/1. Statistics counters are little-endian i64 vectors (BLOB).
CREATE TABLE structures (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    nom        TEXT NOT NULL,
    siret      TEXT,
    code_insee TEXT
) STRICT;

CREATE TABLE comptes (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    email             TEXT NOT NULL UNIQUE,
    nom               TEXT NOT NULL,
    role              TEXT NOT NULL CHECK (role IN ('mediateur', 'coordinateur', 'administrateur')),
    structure_id      INTEGER REFERENCES structures (id),
    password_hash     TEXT NOT NULL,
    totp_secret       TEXT,
    totp_actif        INTEGER NOT NULL DEFAULT 0 CHECK (totp_actif IN (0, 1)),
    totp_dernier_pas  INTEGER,
    codes_secours     TEXT NOT NULL DEFAULT '[]',
    actif             INTEGER NOT NULL DEFAULT 1 CHECK (actif IN (0, 1)),
    created_at        TEXT NOT NULL,
    derniere_activite TEXT NOT NULL
) STRICT;

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    compte_id    INTEGER NOT NULL REFERENCES comptes (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    mfa_at       TEXT,
    csrf         TEXT NOT NULL,
    expires_at   TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_compte ON sessions (compte_id);

CREATE TABLE echecs_connexion (
    cle TEXT NOT NULL,
    at  TEXT NOT NULL
) STRICT;
CREATE INDEX echecs_connexion_cle_at ON echecs_connexion (cle, at);

CREATE TABLE invitations (
    token_hash      TEXT PRIMARY KEY,
    email           TEXT NOT NULL,
    role            TEXT NOT NULL,
    structure_id    INTEGER REFERENCES structures (id),
    coordinateur_id INTEGER REFERENCES comptes (id),
    invite_par      INTEGER NOT NULL REFERENCES comptes (id),
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    used_at         TEXT
) STRICT;

CREATE TABLE courriels (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    destinataire TEXT NOT NULL,
    sujet        TEXT NOT NULL,
    corps        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    envoye_at    TEXT
) STRICT;

CREATE TABLE lieux_activite (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    structure_id INTEGER NOT NULL REFERENCES structures (id),
    nom          TEXT NOT NULL,
    lieu_id      TEXT,
    code_insee   TEXT NOT NULL
) STRICT;

CREATE TABLE affectations (
    compte_id        INTEGER NOT NULL REFERENCES comptes (id),
    lieu_activite_id INTEGER NOT NULL REFERENCES lieux_activite (id),
    debut            TEXT NOT NULL,
    fin              TEXT,
    PRIMARY KEY (compte_id, lieu_activite_id, debut)
) STRICT;

CREATE TABLE equipes (
    coordinateur_id INTEGER NOT NULL REFERENCES comptes (id),
    mediateur_id    INTEGER NOT NULL REFERENCES comptes (id),
    PRIMARY KEY (coordinateur_id, mediateur_id)
) STRICT;
CREATE INDEX equipes_mediateur ON equipes (mediateur_id);

CREATE TABLE territoires_coordonnes (
    compte_id  INTEGER NOT NULL REFERENCES comptes (id),
    territoire TEXT NOT NULL,
    PRIMARY KEY (compte_id, territoire)
) STRICT;

CREATE TABLE beneficiaires (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    mediateur_id      INTEGER NOT NULL REFERENCES comptes (id),
    data              TEXT,
    cle_doublon       TEXT,
    partage_equipe    INTEGER NOT NULL DEFAULT 0 CHECK (partage_equipe IN (0, 1)),
    consentement_at   TEXT,
    created_at        TEXT NOT NULL,
    derniere_activite TEXT NOT NULL,
    purge_at          TEXT,
    fusionne_dans     INTEGER REFERENCES beneficiaires (id)
) STRICT;
CREATE INDEX beneficiaires_mediateur ON beneficiaires (mediateur_id);
CREATE INDEX beneficiaires_activite ON beneficiaires (derniere_activite) WHERE purge_at IS NULL;

CREATE TABLE consultations (
    beneficiaire_id INTEGER NOT NULL REFERENCES beneficiaires (id),
    compte_id       INTEGER NOT NULL REFERENCES comptes (id),
    action          TEXT NOT NULL,
    at              TEXT NOT NULL
) STRICT;
CREATE INDEX consultations_beneficiaire ON consultations (beneficiaire_id, at);

CREATE TABLE activites (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    mediateur_id     INTEGER NOT NULL REFERENCES comptes (id),
    structure_id     INTEGER REFERENCES structures (id),
    lieu_activite_id INTEGER REFERENCES lieux_activite (id),
    commune          TEXT NOT NULL,
    date             TEXT NOT NULL,
    type_activite    TEXT NOT NULL CHECK (type_activite IN ('individuel', 'collectif')),
    duree            INTEGER NOT NULL,
    data             TEXT NOT NULL,
    compteurs        BLOB NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT
) STRICT;
CREATE INDEX activites_mediateur_date ON activites (mediateur_id, date DESC) WHERE deleted_at IS NULL;

CREATE TABLE participations (
    activite_id     INTEGER NOT NULL REFERENCES activites (id),
    beneficiaire_id INTEGER NOT NULL REFERENCES beneficiaires (id),
    PRIMARY KEY (activite_id, beneficiaire_id)
) STRICT;
CREATE INDEX participations_beneficiaire ON participations (beneficiaire_id);

CREATE TABLE activites_historique (
    activite_id INTEGER NOT NULL REFERENCES activites (id),
    version     INTEGER NOT NULL,
    action      TEXT NOT NULL,
    data        TEXT,
    auteur_id   INTEGER NOT NULL REFERENCES comptes (id),
    at          TEXT NOT NULL,
    PRIMARY KEY (activite_id, version)
) STRICT;

-- One row per mediator, place of activity (0: none), commune and month.
CREATE TABLE stat_mediateur (
    mediateur_id     INTEGER NOT NULL,
    lieu_activite_id INTEGER NOT NULL,
    structure_id     INTEGER NOT NULL,
    commune          TEXT NOT NULL,
    mois             INTEGER NOT NULL,
    activites        INTEGER NOT NULL,
    accompagnements  INTEGER NOT NULL,
    minutes          INTEGER NOT NULL,
    compteurs        BLOB NOT NULL,
    PRIMARY KEY (mediateur_id, lieu_activite_id, commune, mois)
) STRICT;
CREATE INDEX stat_mediateur_lieu ON stat_mediateur (lieu_activite_id, mois);

-- One row per commune and month: what territory dashboards read.
CREATE TABLE stat_commune (
    commune         TEXT NOT NULL,
    mois            INTEGER NOT NULL,
    activites       INTEGER NOT NULL,
    accompagnements INTEGER NOT NULL,
    minutes         INTEGER NOT NULL,
    compteurs       BLOB NOT NULL,
    PRIMARY KEY (commune, mois)
) STRICT;
