-- Médiation: accounts, sessions, structures, beneficiaries, activity records (CRA) and
-- the statistics roll-ups (see maillage_store::mediation::MediationStore). The twin of
-- the SQLite backend's migration of the same name. Statistics counters are little-endian
-- i64 vectors (BYTEA). Text keys that listings are ordered by use the "C" collation, so
-- that they come in byte order, as with SQLite.
CREATE TABLE structures (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nom        TEXT NOT NULL,
    siret      TEXT,
    code_insee TEXT
);

CREATE TABLE comptes (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email             TEXT COLLATE "C" NOT NULL UNIQUE,
    nom               TEXT NOT NULL,
    role              TEXT NOT NULL CHECK (role IN ('mediateur', 'coordinateur', 'administrateur')),
    structure_id      BIGINT REFERENCES structures (id),
    password_hash     TEXT NOT NULL,
    totp_secret       TEXT,
    totp_actif        BOOLEAN NOT NULL DEFAULT FALSE,
    totp_dernier_pas  BIGINT,
    codes_secours     TEXT NOT NULL DEFAULT '[]',
    actif             BOOLEAN NOT NULL DEFAULT TRUE,
    created_at        TIMESTAMPTZ NOT NULL,
    derniere_activite TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
    token_hash   TEXT COLLATE "C" PRIMARY KEY,
    compte_id    BIGINT NOT NULL REFERENCES comptes (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    mfa_at       TIMESTAMPTZ,
    csrf         TEXT NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_compte ON sessions (compte_id);

CREATE TABLE echecs_connexion (
    cle TEXT COLLATE "C" NOT NULL,
    at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX echecs_connexion_cle_at ON echecs_connexion (cle, at);

CREATE TABLE invitations (
    token_hash      TEXT COLLATE "C" PRIMARY KEY,
    email           TEXT NOT NULL,
    role            TEXT NOT NULL,
    structure_id    BIGINT REFERENCES structures (id),
    coordinateur_id BIGINT REFERENCES comptes (id),
    invite_par      BIGINT NOT NULL REFERENCES comptes (id),
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ
);

CREATE TABLE courriels (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    destinataire TEXT NOT NULL,
    sujet        TEXT NOT NULL,
    corps        TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    envoye_at    TIMESTAMPTZ
);

CREATE TABLE lieux_activite (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    structure_id BIGINT NOT NULL REFERENCES structures (id),
    nom          TEXT NOT NULL,
    lieu_id      TEXT,
    code_insee   TEXT NOT NULL
);

CREATE TABLE affectations (
    compte_id        BIGINT NOT NULL REFERENCES comptes (id),
    lieu_activite_id BIGINT NOT NULL REFERENCES lieux_activite (id),
    debut            DATE NOT NULL,
    fin              DATE,
    PRIMARY KEY (compte_id, lieu_activite_id, debut)
);

CREATE TABLE equipes (
    coordinateur_id BIGINT NOT NULL REFERENCES comptes (id),
    mediateur_id    BIGINT NOT NULL REFERENCES comptes (id),
    PRIMARY KEY (coordinateur_id, mediateur_id)
);
CREATE INDEX equipes_mediateur ON equipes (mediateur_id);

CREATE TABLE territoires_coordonnes (
    compte_id  BIGINT NOT NULL REFERENCES comptes (id),
    territoire TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (compte_id, territoire)
);

CREATE TABLE beneficiaires (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mediateur_id      BIGINT NOT NULL REFERENCES comptes (id),
    data              TEXT,
    cle_doublon       TEXT,
    partage_equipe    BOOLEAN NOT NULL DEFAULT FALSE,
    consentement_at   TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    derniere_activite TIMESTAMPTZ NOT NULL,
    purge_at          TIMESTAMPTZ,
    fusionne_dans     BIGINT REFERENCES beneficiaires (id)
);
CREATE INDEX beneficiaires_mediateur ON beneficiaires (mediateur_id);
CREATE INDEX beneficiaires_activite ON beneficiaires (derniere_activite) WHERE purge_at IS NULL;

CREATE TABLE consultations (
    beneficiaire_id BIGINT NOT NULL REFERENCES beneficiaires (id),
    compte_id       BIGINT NOT NULL REFERENCES comptes (id),
    action          TEXT NOT NULL,
    at              TIMESTAMPTZ NOT NULL
);
CREATE INDEX consultations_beneficiaire ON consultations (beneficiaire_id, at);

CREATE TABLE activites (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mediateur_id     BIGINT NOT NULL REFERENCES comptes (id),
    structure_id     BIGINT REFERENCES structures (id),
    lieu_activite_id BIGINT REFERENCES lieux_activite (id),
    commune          TEXT COLLATE "C" NOT NULL,
    date             DATE NOT NULL,
    type_activite    TEXT NOT NULL CHECK (type_activite IN ('individuel', 'collectif')),
    duree            INTEGER NOT NULL,
    data             TEXT NOT NULL,
    compteurs        BYTEA NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    deleted_at       TIMESTAMPTZ
);
CREATE INDEX activites_mediateur_date ON activites (mediateur_id, date DESC) WHERE deleted_at IS NULL;

CREATE TABLE participations (
    activite_id     BIGINT NOT NULL REFERENCES activites (id),
    beneficiaire_id BIGINT NOT NULL REFERENCES beneficiaires (id),
    PRIMARY KEY (activite_id, beneficiaire_id)
);
CREATE INDEX participations_beneficiaire ON participations (beneficiaire_id);

CREATE TABLE activites_historique (
    activite_id BIGINT NOT NULL REFERENCES activites (id),
    version     INTEGER NOT NULL,
    action      TEXT NOT NULL,
    data        TEXT,
    auteur_id   BIGINT NOT NULL REFERENCES comptes (id),
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (activite_id, version)
);

-- One row per mediator, place of activity (0: none), commune and month.
CREATE TABLE stat_mediateur (
    mediateur_id     BIGINT NOT NULL,
    lieu_activite_id BIGINT NOT NULL,
    structure_id     BIGINT NOT NULL,
    commune          TEXT COLLATE "C" NOT NULL,
    mois             INTEGER NOT NULL,
    activites        BIGINT NOT NULL,
    accompagnements  BIGINT NOT NULL,
    minutes          BIGINT NOT NULL,
    compteurs        BYTEA NOT NULL,
    PRIMARY KEY (mediateur_id, lieu_activite_id, commune, mois)
);
CREATE INDEX stat_mediateur_lieu ON stat_mediateur (lieu_activite_id, mois);

-- One row per commune and month: what territory dashboards read.
CREATE TABLE stat_commune (
    commune         TEXT COLLATE "C" NOT NULL,
    mois            INTEGER NOT NULL,
    activites       BIGINT NOT NULL,
    accompagnements BIGINT NOT NULL,
    minutes         BIGINT NOT NULL,
    compteurs       BYTEA NOT NULL,
    PRIMARY KEY (commune, mois)
);
