-- Enquête de besoins: questionnaire versions, campaigns and their target households per
-- commune, surveyors, the visit list (addresses), visits and answers.
-- Answers are kept apart from visits and addresses: an answer holds the commune (and the
-- IRIS when known), never a name nor an address, and no key leads from an answer to a
-- visit, an address or an account. Each visit and each answer carries the UUID its device
-- drew; the unique index on it makes a re-upload one row (insert-or-ignore).
-- Timestamps in UTC.
CREATE TABLE enquete_questionnaires (
    id         BIGSERIAL PRIMARY KEY,
    code       TEXT NOT NULL,
    version    BIGINT  NOT NULL CHECK (version > 0),
    contenu    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (code, version)
);

CREATE TABLE enquete_campagnes (
    id                    BIGSERIAL PRIMARY KEY,
    intitule              TEXT NOT NULL,
    territoire            TEXT NOT NULL,
    debut                 DATE NOT NULL,
    fin                   DATE NOT NULL,
    questionnaire_id      BIGINT NOT NULL REFERENCES enquete_questionnaires (id),
    consentement          TEXT NOT NULL,
    cree_par              TEXT NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL,
    collecte_commencee_at TIMESTAMPTZ
);

CREATE TABLE enquete_cibles (
    campagne_id   BIGINT NOT NULL REFERENCES enquete_campagnes (id),
    commune       TEXT NOT NULL,
    cible_menages BIGINT NOT NULL CHECK (cible_menages >= 0),
    PRIMARY KEY (campagne_id, commune)
);

CREATE TABLE enquete_enqueteurs (
    campagne_id BIGINT NOT NULL REFERENCES enquete_campagnes (id),
    compte_id   BIGINT NOT NULL REFERENCES comptes (id),
    communes    TEXT NOT NULL,
    PRIMARY KEY (campagne_id, compte_id)
);

CREATE TABLE enquete_adresses (
    id                  BIGSERIAL PRIMARY KEY,
    campagne_id         BIGINT NOT NULL REFERENCES enquete_campagnes (id),
    commune             TEXT NOT NULL,
    iris                TEXT,
    adresse             TEXT NOT NULL,
    enqueteur_compte_id BIGINT REFERENCES comptes (id)
);
CREATE INDEX enquete_adresses_campagne ON enquete_adresses (campagne_id, commune);

CREATE TABLE enquete_visites (
    id                  BIGSERIAL PRIMARY KEY,
    uuid                TEXT NOT NULL UNIQUE,
    campagne_id         BIGINT NOT NULL REFERENCES enquete_campagnes (id),
    adresse_id          BIGINT NOT NULL REFERENCES enquete_adresses (id),
    issue               TEXT NOT NULL CHECK (issue IN ('absent', 'refus', 'fait')),
    revisite            DATE,
    enqueteur_compte_id BIGINT NOT NULL REFERENCES comptes (id),
    visite_at           TIMESTAMPTZ NOT NULL,
    recu_at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX enquete_visites_campagne ON enquete_visites (campagne_id, adresse_id);

CREATE TABLE enquete_reponses (
    id                 BIGSERIAL PRIMARY KEY,
    uuid               TEXT NOT NULL UNIQUE,
    campagne_id        BIGINT NOT NULL REFERENCES enquete_campagnes (id),
    questionnaire_id   BIGINT NOT NULL REFERENCES enquete_questionnaires (id),
    commune            TEXT NOT NULL,
    iris               TEXT,
    reponses           TEXT NOT NULL,
    score_information  BIGINT   NOT NULL CHECK (score_information BETWEEN 0 AND 2),
    score_communication BIGINT   NOT NULL CHECK (score_communication BETWEEN 0 AND 2),
    score_resolution   BIGINT   NOT NULL CHECK (score_resolution BETWEEN 0 AND 2),
    score_logiciels    BIGINT   NOT NULL CHECK (score_logiciels BETWEEN 0 AND 2),
    internet_3mois     BOOLEAN NOT NULL,
    illectronisme      BOOLEAN NOT NULL,
    collecte_at        TIMESTAMPTZ NOT NULL,
    recu_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX enquete_reponses_campagne ON enquete_reponses (campagne_id, commune);
