-- Pass numérique: programmes, their communes, qualified places and prescribers, carnets and
-- passes, place API keys, redemptions, and the pass stream of the journal.
-- Timestamps are RFC 3339 text in UTC, dates `YYYY-MM-DD`, amounts in centimes.
CREATE TABLE pass_programmes (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    financeur_structure_id INTEGER NOT NULL REFERENCES structures (id),
    nom                    TEXT NOT NULL,
    budget_centimes        INTEGER NOT NULL CHECK (budget_centimes >= 0),
    valeur_centimes        INTEGER NOT NULL CHECK (valeur_centimes > 0),
    fin_validite           TEXT NOT NULL,
    tolerance              TEXT NOT NULL,
    territoire             TEXT NOT NULL,
    publics                TEXT NOT NULL,
    created_at             TEXT NOT NULL
) STRICT;

CREATE TABLE pass_programme_communes (
    programme_id INTEGER NOT NULL REFERENCES pass_programmes (id),
    code_insee   TEXT NOT NULL,
    PRIMARY KEY (programme_id, code_insee)
) STRICT;

-- A SIRET is qualified once per programme (and a structure once).
CREATE TABLE pass_lieux_qualifies (
    programme_id INTEGER NOT NULL REFERENCES pass_programmes (id),
    structure_id INTEGER NOT NULL REFERENCES structures (id),
    siret        TEXT NOT NULL,
    commune      TEXT NOT NULL,
    approuve_par TEXT NOT NULL,
    approuve_at  TEXT NOT NULL,
    PRIMARY KEY (programme_id, structure_id),
    UNIQUE (programme_id, siret)
) STRICT;

CREATE TABLE pass_prescripteurs (
    programme_id INTEGER NOT NULL REFERENCES pass_programmes (id),
    structure_id INTEGER NOT NULL REFERENCES structures (id),
    PRIMARY KEY (programme_id, structure_id)
) STRICT;

CREATE TABLE pass_carnets (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    programme_id INTEGER NOT NULL REFERENCES pass_programmes (id),
    nombre       INTEGER NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;

CREATE TABLE pass (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    carnet_id            INTEGER NOT NULL REFERENCES pass_carnets (id),
    programme_id         INTEGER NOT NULL REFERENCES pass_programmes (id),
    code                 TEXT NOT NULL UNIQUE,
    valeur_centimes      INTEGER NOT NULL,
    etat                 TEXT NOT NULL
        CHECK (etat IN ('emis', 'distribue', 'utilise', 'expire', 'bloque', 'annule')),
    distribue_par        INTEGER REFERENCES structures (id),
    distribue_at         TEXT,
    personne_commune     TEXT,
    personne_tranche_age TEXT,
    personne_statut      TEXT,
    -- The person's key (« Mon espace »), when attached.
    personne_id          INTEGER,
    updated_at           TEXT NOT NULL
) STRICT;
CREATE INDEX pass_carnet ON pass (carnet_id);
CREATE INDEX pass_programme_etat ON pass (programme_id, etat);

CREATE TABLE pass_cles_api (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    structure_id INTEGER NOT NULL REFERENCES structures (id),
    nom          TEXT NOT NULL,
    prefixe      TEXT NOT NULL UNIQUE,
    secret_hash  TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    debut        TEXT NOT NULL,
    fin          TEXT NOT NULL,
    revoquee_at  TEXT,
    created_at   TEXT NOT NULL
) STRICT;

CREATE TABLE pass_utilisations (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    pass_id             INTEGER NOT NULL REFERENCES pass (id),
    structure_id        INTEGER NOT NULL REFERENCES structures (id),
    nonce               TEXT NOT NULL,
    cle_api_id          INTEGER REFERENCES pass_cles_api (id),
    compte_id           INTEGER,
    activite_id         INTEGER,
    valeur_centimes     INTEGER NOT NULL,
    utilise_at          TEXT NOT NULL,
    journal_seq         INTEGER NOT NULL,
    -- TRUE only for the rows of the tests' control run (guard disabled).
    controle_sans_garde INTEGER NOT NULL DEFAULT 0 CHECK (controle_sans_garde IN (0, 1))
) STRICT;
-- The last guard: one redemption per pass, one nonce per place.
CREATE UNIQUE INDEX pass_utilisations_une_par_pass ON pass_utilisations (pass_id)
    WHERE controle_sans_garde = 0;
CREATE UNIQUE INDEX pass_utilisations_nonce ON pass_utilisations (structure_id, nonce)
    WHERE controle_sans_garde = 0;
CREATE INDEX pass_utilisations_lieu_at ON pass_utilisations (structure_id, utilise_at);

-- The pass stream of the journal: the same entries as `journal` (Mandats), `objet_id` the
-- pass. `seq` is given by the store (head + 1) inside a BEGIN IMMEDIATE transaction.
CREATE TABLE pass_journal (
    seq          INTEGER PRIMARY KEY,
    at_us        INTEGER NOT NULL,
    action       TEXT NOT NULL,
    acteur       TEXT NOT NULL,
    structure_id INTEGER,
    objet_id     INTEGER,
    usager       TEXT,
    demarches    TEXT NOT NULL,
    details      TEXT NOT NULL,
    prev_hash    BLOB NOT NULL,
    hash         BLOB NOT NULL
) STRICT;
CREATE INDEX pass_journal_objet ON pass_journal (objet_id);

CREATE TRIGGER pass_journal_sans_modification BEFORE UPDATE ON pass_journal
BEGIN
    SELECT RAISE(ABORT, 'pass journal is append-only: UPDATE refused');
END;
CREATE TRIGGER pass_journal_sans_suppression BEFORE DELETE ON pass_journal
BEGIN
    SELECT RAISE(ABORT, 'pass journal is append-only: DELETE refused');
END;
