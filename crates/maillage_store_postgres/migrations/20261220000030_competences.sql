-- Compétences: stored assessment results (only by the person's explicit choice, or by a
-- mediator with the beneficiary's consent), their per-domain estimates, the anonymised
-- answers kept for recalibration (not linked to the result: a random passation key), and
-- the calibration versions with their item parameters. Timestamps are TIMESTAMPTZ.
CREATE TABLE competences_calibrations (
    version    BIGINT PRIMARY KEY,
    methode    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE competences_parametres (
    version        BIGINT NOT NULL REFERENCES competences_calibrations (version),
    item           TEXT NOT NULL,
    difficulte     DOUBLE PRECISION NOT NULL,
    discrimination DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (version, item)
);

CREATE TABLE competences_resultats (
    id              BIGSERIAL PRIMARY KEY,
    calibration     BIGINT NOT NULL,
    questions       BIGINT NOT NULL,
    commune         TEXT,
    beneficiaire_id BIGINT REFERENCES beneficiaires (id),
    personne_id     BIGINT,
    mediateur_id    BIGINT REFERENCES comptes (id),
    structure_id    BIGINT REFERENCES structures (id),
    consentement    TEXT,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX competences_resultats_beneficiaire ON competences_resultats (beneficiaire_id)
    WHERE beneficiaire_id IS NOT NULL;

CREATE TABLE competences_domaines (
    resultat_id BIGINT NOT NULL REFERENCES competences_resultats (id),
    domaine     TEXT NOT NULL,
    theta       DOUBLE PRECISION NOT NULL,
    ecart       DOUBLE PRECISION NOT NULL,
    bande       TEXT NOT NULL
        CHECK (bande IN ('debutant', 'a_l_aise', 'autonome', 'au_dela')),
    questions   BIGINT NOT NULL,
    PRIMARY KEY (resultat_id, domaine)
);

CREATE TABLE competences_reponses (
    id          BIGSERIAL PRIMARY KEY,
    passation   TEXT NOT NULL,
    item        TEXT NOT NULL,
    reponse     TEXT NOT NULL,
    calibration BIGINT NOT NULL
);
