-- Mandats: habilitations, persons (usagers), mandates and their démarches, and the
-- append-only journal with its signed seals. Journal timestamps are integer microseconds
-- since the Unix epoch (hashed as is).
CREATE TABLE habilitations (
    compte_id    BIGINT PRIMARY KEY REFERENCES comptes (id),
    habilite_at  TIMESTAMPTZ NOT NULL,
    habilite_par BIGINT NOT NULL REFERENCES comptes (id)
);

CREATE TABLE usagers (
    id           BIGSERIAL PRIMARY KEY,
    pseudonyme   TEXT NOT NULL UNIQUE,
    structure_id BIGINT NOT NULL REFERENCES structures (id),
    data         TEXT,
    code_cle     TEXT NOT NULL UNIQUE,
    code_hash    TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    purge_at     TIMESTAMPTZ
);
CREATE INDEX usagers_structure ON usagers (structure_id);

CREATE TABLE mandats (
    id           BIGSERIAL PRIMARY KEY,
    usager_id    BIGINT NOT NULL REFERENCES usagers (id),
    structure_id BIGINT NOT NULL REFERENCES structures (id),
    aidant_id    BIGINT NOT NULL REFERENCES comptes (id),
    duree        TEXT NOT NULL CHECK (duree IN ('1j', '1m', '6m', '12m')),
    created_at   TIMESTAMPTZ NOT NULL,
    expire_at    TIMESTAMPTZ NOT NULL,
    revoque_at   TIMESTAMPTZ,
    revoque_par  TEXT,
    empreinte    TEXT NOT NULL UNIQUE,
    modele       TEXT NOT NULL,
    document     TEXT,
    renouvelle   BIGINT REFERENCES mandats (id),
    rappel_at    TIMESTAMPTZ
);
CREATE INDEX mandats_usager ON mandats (usager_id);
CREATE INDEX mandats_structure ON mandats (structure_id);
CREATE INDEX mandats_expire ON mandats (expire_at) WHERE revoque_at IS NULL AND rappel_at IS NULL;

CREATE TABLE autorisations (
    mandat_id    BIGINT NOT NULL REFERENCES mandats (id),
    demarche     TEXT NOT NULL CHECK (demarche IN ('papiers', 'famille', 'social', 'travail',
                     'logement', 'transports', 'argent', 'justice', 'etranger', 'loisirs')),
    revoquee_at  TIMESTAMPTZ,
    revoquee_par TEXT,
    PRIMARY KEY (mandat_id, demarche)
);

-- The journal. `seq` is given by the store (head + 1) under a transaction-level advisory
-- lock, so numbers have no gap.
CREATE TABLE journal (
    seq          BIGINT PRIMARY KEY,
    at_us        BIGINT NOT NULL,
    action       TEXT NOT NULL,
    acteur       TEXT NOT NULL,
    structure_id BIGINT,
    mandat_id    BIGINT,
    usager       TEXT,
    demarches    TEXT NOT NULL,
    details      TEXT NOT NULL,
    prev_hash    BYTEA NOT NULL,
    hash         BYTEA NOT NULL
);
CREATE INDEX journal_mandat ON journal (mandat_id);
CREATE INDEX journal_usager ON journal (usager);

CREATE TABLE journal_sceaux (
    seq       BIGINT PRIMARY KEY,
    hash      BYTEA NOT NULL,
    at_us     BIGINT NOT NULL,
    signature BYTEA NOT NULL
);

-- Append-only, enforced by the database itself (TRUNCATE too).
CREATE FUNCTION journal_refuse_modification() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$;
CREATE TRIGGER journal_sans_modification BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_refuse_modification();
CREATE TRIGGER journal_sans_troncature BEFORE TRUNCATE ON journal
    FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse_modification();
CREATE TRIGGER journal_sceaux_sans_modification BEFORE UPDATE OR DELETE ON journal_sceaux
    FOR EACH ROW EXECUTE FUNCTION journal_refuse_modification();
CREATE TRIGGER journal_sceaux_sans_troncature BEFORE TRUNCATE ON journal_sceaux
    FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse_modification();
