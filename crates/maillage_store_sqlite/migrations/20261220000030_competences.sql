-- Compétences: stored assessment results (only by the person's explicit choice, or by a
-- mediator with the beneficiary's consent), their per-domain estimates, the anonymised
-- answers kept for recalibration (not linked to the result: a random passation key), and
-- the calibration versions with their item parameters. Timestamps are RFC 3339 text in UTC.
CREATE TABLE competences_calibrations (
    version    INTEGER PRIMARY KEY,
    methode    TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE competences_parametres (
    version        INTEGER NOT NULL REFERENCES competences_calibrations (version),
    item           TEXT NOT NULL,
    difficulte     REAL NOT NULL,
    discrimination REAL NOT NULL,
    PRIMARY KEY (version, item)
) STRICT;

CREATE TABLE competences_resultats (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    calibration     INTEGER NOT NULL,
    questions       INTEGER NOT NULL,
    commune         TEXT,
    beneficiaire_id INTEGER REFERENCES beneficiaires (id),
    personne_id     INTEGER,
    mediateur_id    INTEGER REFERENCES comptes (id),
    structure_id    INTEGER REFERENCES structures (id),
    consentement    TEXT,
    created_at      TEXT NOT NULL
) STRICT;
CREATE INDEX competences_resultats_beneficiaire ON competences_resultats (beneficiaire_id)
    WHERE beneficiaire_id IS NOT NULL;

CREATE TABLE competences_domaines (
    resultat_id INTEGER NOT NULL REFERENCES competences_resultats (id),
    domaine     TEXT NOT NULL,
    theta       REAL NOT NULL,
    ecart       REAL NOT NULL,
    bande       TEXT NOT NULL
        CHECK (bande IN ('debutant', 'a_l_aise', 'autonome', 'au_dela')),
    questions   INTEGER NOT NULL,
    PRIMARY KEY (resultat_id, domaine)
) STRICT;

CREATE TABLE competences_reponses (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    passation   TEXT NOT NULL,
    item        TEXT NOT NULL,
    reponse     TEXT NOT NULL,
    calibration INTEGER NOT NULL
) STRICT;
