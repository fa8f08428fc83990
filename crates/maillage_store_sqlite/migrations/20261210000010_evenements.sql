-- Événements: tours, events, capacity pools (jauges), sessions and registrations.
-- Timestamps are RFC 3339 text in UTC. A registration counts against its session's jauge;
-- the capacity is enforced by the store under SQLite's write lock (BEGIN IMMEDIATE).
CREATE TABLE tournees (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    titre        TEXT NOT NULL,
    structure_id INTEGER REFERENCES structures (id),
    created_at   TEXT NOT NULL
) STRICT;

CREATE TABLE evenements (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    tournee_id             INTEGER REFERENCES tournees (id),
    type_evenement         TEXT NOT NULL
        CHECK (type_evenement IN ('etape_tournee', 'journee_locale', 'atelier')),
    titre                  TEXT NOT NULL,
    description            TEXT,
    commune                TEXT NOT NULL,
    adresse                TEXT,
    lieu_id                TEXT,
    debut                  TEXT NOT NULL,
    fin                    TEXT NOT NULL,
    statut                 TEXT NOT NULL
        CHECK (statut IN ('brouillon', 'publie', 'annule', 'termine')),
    accessibilite_mobilite TEXT,
    accessibilite_auditif  TEXT,
    accessibilite_visuel   TEXT,
    accessibilite_mental   TEXT,
    structure_id           INTEGER REFERENCES structures (id),
    created_at             TEXT NOT NULL
) STRICT;
CREATE INDEX evenements_fin ON evenements (fin);
CREATE INDEX evenements_commune ON evenements (commune);

CREATE TABLE evenements_jauges (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    evenement_id INTEGER NOT NULL REFERENCES evenements (id),
    -- NULL: a session's own jauge; else the name of a pool shared by sessions.
    nom          TEXT,
    capacite     INTEGER NOT NULL CHECK (capacite >= 0),
    UNIQUE (evenement_id, nom)
) STRICT;

CREATE TABLE evenements_sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    evenement_id INTEGER NOT NULL REFERENCES evenements (id),
    jauge_id     INTEGER NOT NULL REFERENCES evenements_jauges (id),
    titre        TEXT NOT NULL,
    type_session TEXT NOT NULL CHECK (type_session IN
        ('atelier', 'conference', 'table_ronde', 'realite_virtuelle', 'quiz', 'stand', 'permanence')),
    debut        TEXT NOT NULL,
    fin          TEXT NOT NULL,
    salle        TEXT
) STRICT;
CREATE INDEX evenements_sessions_evenement ON evenements_sessions (evenement_id);
CREATE INDEX evenements_sessions_jauge ON evenements_sessions (jauge_id);

CREATE TABLE inscriptions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES evenements_sessions (id),
    -- Denormalised from the session: the count under the lock reads one index.
    jauge_id   INTEGER NOT NULL REFERENCES evenements_jauges (id),
    uuid       TEXT NOT NULL UNIQUE,
    prenom     TEXT NOT NULL,
    contact    TEXT,
    statut     TEXT NOT NULL CHECK (statut IN ('inscrit', 'liste_attente', 'annule', 'present')),
    cle        TEXT NOT NULL,
    jeton_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX inscriptions_jauge_statut ON inscriptions (jauge_id, statut, id);
CREATE INDEX inscriptions_session ON inscriptions (session_id, id);
