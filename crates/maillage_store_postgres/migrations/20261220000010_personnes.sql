-- « Mon espace »: one key per person across modules, owned by the accounts kernel.
-- A person's personal code (`ABCDE-FGHJK-MNPQR-STVW`) reads as a public part (`cle`, the
-- first five characters, stored as is) and a secret part (stored as a SHA-256). The space's
-- sessions are random tokens stored hashed, so that « Fermer » ends them on every node.
-- Each module keeps what it holds about the person under `personne_id`.
CREATE TABLE personnes (
    id         BIGSERIAL PRIMARY KEY,
    cle        TEXT NOT NULL UNIQUE,
    code_hash  TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE personne_sessions (
    token_hash  TEXT COLLATE "C" PRIMARY KEY,
    personne_id BIGINT NOT NULL REFERENCES personnes (id) ON DELETE CASCADE,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX personne_sessions_personne ON personne_sessions (personne_id);

-- Mandats: every person for whom a mandate was signed keeps their code, now as a key of
-- the kernel (`usagers.code_cle`/`code_hash` stay as a copy, no longer read).
INSERT INTO personnes (cle, code_hash, created_at)
    SELECT code_cle, code_hash, created_at FROM usagers ORDER BY id;
ALTER TABLE usagers ADD COLUMN personne_id BIGINT REFERENCES personnes (id);
UPDATE usagers SET personne_id = (SELECT p.id FROM personnes p WHERE p.cle = usagers.code_cle);
CREATE INDEX usagers_personne ON usagers (personne_id);

-- Événements: a registration belongs to the key given or made when registering
-- (`inscriptions.cle` now keeps only its public part, for display).
ALTER TABLE inscriptions ADD COLUMN personne_id BIGINT REFERENCES personnes (id);
CREATE INDEX inscriptions_personne ON inscriptions (personne_id);
