-- Mandats: habilitations, persons (usagers), mandates and their démarches, and the
-- append-only journal with its signed seals. Timestamps are RFC 3339 text in UTC, except
-- in the journal where they are integer microseconds since the Unix epoch (hashed as is).
CREATE TABLE habilitations (
    compte_id    INTEGER PRIMARY KEY REFERENCES comptes (id),
    habilite_at  TEXT NOT NULL,
    habilite_par INTEGER NOT NULL REFERENCES comptes (id)
) STRICT;

CREATE TABLE usagers (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    pseudonyme   TEXT NOT NULL UNIQUE,
    structure_id INTEGER NOT NULL REFERENCES structures (id),
    data         TEXT,
    code_cle     TEXT NOT NULL UNIQUE,
    code_hash    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    purge_at     TEXT
) STRICT;
CREATE INDEX usagers_structure ON usagers (structure_id);

CREATE TABLE mandats (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    usager_id    INTEGER NOT NULL REFERENCES usagers (id),
    structure_id INTEGER NOT NULL REFERENCES structures (id),
    aidant_id    INTEGER NOT NULL REFERENCES comptes (id),
    duree        TEXT NOT NULL CHECK (duree IN ('1j', '1m', '6m', '12m')),
    created_at   TEXT NOT NULL,
    expire_at    TEXT NOT NULL,
    revoque_at   TEXT,
    revoque_par  TEXT,
    empreinte    TEXT NOT NULL UNIQUE,
    modele       TEXT NOT NULL,
    document     TEXT,
    renouvelle   INTEGER REFERENCES mandats (id),
    rappel_at    TEXT
) STRICT;
CREATE INDEX mandats_usager ON mandats (usager_id);
CREATE INDEX mandats_structure ON mandats (structure_id);
CREATE INDEX mandats_expire ON mandats (expire_at) WHERE revoque_at IS NULL AND rappel_at IS NULL;

CREATE TABLE autorisations (
    mandat_id    INTEGER NOT NULL REFERENCES mandats (id),
    demarche     TEXT NOT NULL CHECK (demarche IN ('papiers', 'famille', 'social', 'travail',
                     'logement', 'transports', 'argent', 'justice', 'etranger', 'loisirs')),
    revoquee_at  TEXT,
    revoquee_par TEXT,
    PRIMARY KEY (mandat_id, demarche)
) STRICT;

-- The journal. `seq` is given by the store (head + 1) inside a BEGIN IMMEDIATE
-- transaction, so numbers have no gap.
CREATE TABLE journal (
    seq          INTEGER PRIMARY KEY,
    at_us        INTEGER NOT NULL,
    action       TEXT NOT NULL,
    acteur       TEXT NOT NULL,
    structure_id INTEGER,
    mandat_id    INTEGER,
    usager       TEXT,
    demarches    TEXT NOT NULL,
    details      TEXT NOT NULL,
    prev_hash    BLOB NOT NULL,
    hash         BLOB NOT NULL
) STRICT;
CREATE INDEX journal_mandat ON journal (mandat_id);
CREATE INDEX journal_usager ON journal (usager);

CREATE TABLE journal_sceaux (
    seq       INTEGER PRIMARY KEY,
    hash      BLOB NOT NULL,
    at_us     INTEGER NOT NULL,
    signature BLOB NOT NULL
) STRICT;

-- Append-only, enforced by the database itself.
CREATE TRIGGER journal_sans_modification BEFORE UPDATE ON journal
BEGIN
    SELECT RAISE(ABORT, 'journal is append-only: UPDATE refused');
END;
CREATE TRIGGER journal_sans_suppression BEFORE DELETE ON journal
BEGIN
    SELECT RAISE(ABORT, 'journal is append-only: DELETE refused');
END;
CREATE TRIGGER journal_sceaux_sans_modification BEFORE UPDATE ON journal_sceaux
BEGIN
    SELECT RAISE(ABORT, 'journal seals are append-only: UPDATE refused');
END;
CREATE TRIGGER journal_sceaux_sans_suppression BEFORE DELETE ON journal_sceaux
BEGIN
    SELECT RAISE(ABORT, 'journal seals are append-only: DELETE refused');
END;
