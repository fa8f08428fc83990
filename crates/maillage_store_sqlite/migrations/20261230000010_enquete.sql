-- Enquête de besoins: questionnaire versions, campaigns and their target households per
-- commune, surveyors, the visit list (addresses), visits and answers.
-- Answers are kept apart from visits and addresses: an answer holds the commune (and the
-- IRIS when known), never a name nor an address, and no key leads from an answer to a
-- visit, an address or an account. Each visit and each answer carries the UUID its device
-- drew; the unique index on it makes a re-upload one row (insert-or-ignore).
-- Timestamps are RFC 3339 text in UTC, dates `YYYY-MM-DD`.
CREATE TABLE enquete_questionnaires (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version > 0),
    contenu    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (code, version)
) STRICT;

CREATE TABLE enquete_campagnes (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    intitule              TEXT NOT NULL,
    territoire            TEXT NOT NULL,
    debut                 TEXT NOT NULL,
    fin                   TEXT NOT NULL,
    questionnaire_id      INTEGER NOT NULL REFERENCES enquete_questionnaires (id),
    consentement          TEXT NOT NULL,
    cree_par              TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    collecte_commencee_at TEXT
) STRICT;

CREATE TABLE enquete_cibles (
    campagne_id   INTEGER NOT NULL REFERENCES enquete_campagnes (id),
    commune       TEXT NOT NULL,
    cible_menages INTEGER NOT NULL CHECK (cible_menages >= 0),
    PRIMARY KEY (campagne_id, commune)
) STRICT;

CREATE TABLE enquete_enqueteurs (
    campagne_id INTEGER NOT NULL REFERENCES enquete_campagnes (id),
    compte_id   INTEGER NOT NULL REFERENCES comptes (id),
    communes    TEXT NOT NULL,
    PRIMARY KEY (campagne_id, compte_id)
) STRICT;

CREATE TABLE enquete_adresses (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    campagne_id         INTEGER NOT NULL REFERENCES enquete_campagnes (id),
    commune             TEXT NOT NULL,
    iris                TEXT,
    adresse             TEXT NOT NULL,
    enqueteur_compte_id INTEGER REFERENCES comptes (id)
) STRICT;
CREATE INDEX enquete_adresses_campagne ON enquete_adresses (campagne_id, commune);

CREATE TABLE enquete_visites (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid                TEXT NOT NULL UNIQUE,
    campagne_id         INTEGER NOT NULL REFERENCES enquete_campagnes (id),
    adresse_id          INTEGER NOT NULL REFERENCES enquete_adresses (id),
    issue               TEXT NOT NULL CHECK (issue IN ('absent', 'refus', 'fait')),
    revisite            TEXT,
    enqueteur_compte_id INTEGER NOT NULL REFERENCES comptes (id),
    visite_at           TEXT NOT NULL,
    recu_at             TEXT NOT NULL
) STRICT;
CREATE INDEX enquete_visites_campagne ON enquete_visites (campagne_id, adresse_id);

CREATE TABLE enquete_reponses (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid               TEXT NOT NULL UNIQUE,
    campagne_id        INTEGER NOT NULL REFERENCES enquete_campagnes (id),
    questionnaire_id   INTEGER NOT NULL REFERENCES enquete_questionnaires (id),
    commune            TEXT NOT NULL,
    iris               TEXT,
    reponses           TEXT NOT NULL,
    score_information  INTEGER NOT NULL CHECK (score_information BETWEEN 0 AND 2),
    score_communication INTEGER NOT NULL CHECK (score_communication BETWEEN 0 AND 2),
    score_resolution   INTEGER NOT NULL CHECK (score_resolution BETWEEN 0 AND 2),
    score_logiciels    INTEGER NOT NULL CHECK (score_logiciels BETWEEN 0 AND 2),
    internet_3mois     INTEGER NOT NULL CHECK (internet_3mois IN (0, 1)),
    illectronisme      INTEGER NOT NULL CHECK (illectronisme IN (0, 1)),
    collecte_at        TEXT NOT NULL,
    recu_at            TEXT NOT NULL
) STRICT;
CREATE INDEX enquete_reponses_campagne ON enquete_reponses (campagne_id, commune);
