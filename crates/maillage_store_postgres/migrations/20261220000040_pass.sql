-- Pass numérique: programmes, their communes, qualified places and prescribers, carnets and
-- passes, place API keys, redemptions, and the pass stream of the journal.
-- Amounts in centimes.
CREATE TABLE pass_programmes (
    id                     BIGSERIAL PRIMARY KEY,
    financeur_structure_id BIGINT NOT NULL REFERENCES structures (id),
    nom                    TEXT NOT NULL,
    budget_centimes        BIGINT NOT NULL CHECK (budget_centimes >= 0),
    valeur_centimes        BIGINT NOT NULL CHECK (valeur_centimes > 0),
    fin_validite           DATE NOT NULL,
    tolerance              DATE NOT NULL,
    territoire             TEXT NOT NULL,
    publics                TEXT NOT NULL,
    created_at             TIMESTAMPTZ NOT NULL
);

CREATE TABLE pass_programme_communes (
    programme_id BIGINT NOT NULL REFERENCES pass_programmes (id),
    code_insee   TEXT NOT NULL,
    PRIMARY KEY (programme_id, code_insee)
);

-- A SIRET is qualified once per programme (and a structure once).
CREATE TABLE pass_lieux_qualifies (
    programme_id BIGINT NOT NULL REFERENCES pass_programmes (id),
    structure_id BIGINT NOT NULL REFERENCES structures (id),
    siret        TEXT NOT NULL,
    commune      TEXT NOT NULL,
    approuve_par TEXT NOT NULL,
    approuve_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (programme_id, structure_id),
    UNIQUE (programme_id, siret)
);

CREATE TABLE pass_prescripteurs (
    programme_id BIGINT NOT NULL REFERENCES pass_programmes (id),
    structure_id BIGINT NOT NULL REFERENCES structures (id),
    PRIMARY KEY (programme_id, structure_id)
);

CREATE TABLE pass_carnets (
    id           BIGSERIAL PRIMARY KEY,
    programme_id BIGINT NOT NULL REFERENCES pass_programmes (id),
    nombre       BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE pass (
    id                   BIGSERIAL PRIMARY KEY,
    carnet_id            BIGINT NOT NULL REFERENCES pass_carnets (id),
    programme_id         BIGINT NOT NULL REFERENCES pass_programmes (id),
    code                 TEXT NOT NULL UNIQUE,
    valeur_centimes      BIGINT NOT NULL,
    etat                 TEXT NOT NULL
        CHECK (etat IN ('emis', 'distribue', 'utilise', 'expire', 'bloque', 'annule')),
    distribue_par        BIGINT REFERENCES structures (id),
    distribue_at         TIMESTAMPTZ,
    personne_commune     TEXT,
    personne_tranche_age TEXT,
    personne_statut      TEXT,
    -- The person's key (« Mon espace »), when attached.
    personne_id          BIGINT,
    updated_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX pass_carnet ON pass (carnet_id);
CREATE INDEX pass_programme_etat ON pass (programme_id, etat);

CREATE TABLE pass_cles_api (
    id           BIGSERIAL PRIMARY KEY,
    structure_id BIGINT NOT NULL REFERENCES structures (id),
    nom          TEXT NOT NULL,
    prefixe      TEXT NOT NULL UNIQUE,
    secret_hash  TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    debut        TIMESTAMPTZ NOT NULL,
    fin          TIMESTAMPTZ NOT NULL,
    revoquee_at  TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE pass_utilisations (
    id                  BIGSERIAL PRIMARY KEY,
    pass_id             BIGINT NOT NULL REFERENCES pass (id),
    structure_id        BIGINT NOT NULL REFERENCES structures (id),
    nonce               TEXT NOT NULL,
    cle_api_id          BIGINT REFERENCES pass_cles_api (id),
    compte_id           BIGINT,
    activite_id         BIGINT,
    valeur_centimes     BIGINT NOT NULL,
    utilise_at          TIMESTAMPTZ NOT NULL,
    journal_seq         BIGINT NOT NULL,
    -- TRUE only for the rows of the tests' control run (guard disabled).
    controle_sans_garde BOOLEAN NOT NULL DEFAULT FALSE
);
-- The last guard: one redemption per pass, one nonce per place.
CREATE UNIQUE INDEX pass_utilisations_une_par_pass ON pass_utilisations (pass_id)
    WHERE NOT controle_sans_garde;
CREATE UNIQUE INDEX pass_utilisations_nonce ON pass_utilisations (structure_id, nonce)
    WHERE NOT controle_sans_garde;
CREATE INDEX pass_utilisations_lieu_at ON pass_utilisations (structure_id, utilise_at);

-- The pass stream of the journal: the same entries as `journal` (Mandats), `objet_id` the
-- pass. `seq` is given by the store (head + 1) under a transaction-level advisory lock.
CREATE TABLE pass_journal (
    seq          BIGINT PRIMARY KEY,
    at_us        BIGINT NOT NULL,
    action       TEXT NOT NULL,
    acteur       TEXT NOT NULL,
    structure_id BIGINT,
    objet_id     BIGINT,
    usager       TEXT,
    demarches    TEXT NOT NULL,
    details      TEXT NOT NULL,
    prev_hash    BYTEA NOT NULL,
    hash         BYTEA NOT NULL
);
CREATE INDEX pass_journal_objet ON pass_journal (objet_id);

CREATE TRIGGER pass_journal_sans_modification BEFORE UPDATE OR DELETE ON pass_journal
    FOR EACH ROW EXECUTE FUNCTION journal_refuse_modification();
CREATE TRIGGER pass_journal_sans_troncature BEFORE TRUNCATE ON pass_journal
    FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse_modification();
