-- Throttling of sign-in and personal-code attempts: rows of echecs_connexion are now
-- reserved before the secret is checked (id identifies one, to release it), purged by
-- age; addresses from which an account or a person signed in successfully are remembered
-- so that a distributed attack never slows them down.
ALTER TABLE echecs_connexion ADD COLUMN id BIGINT GENERATED ALWAYS AS IDENTITY;
CREATE INDEX echecs_connexion_id ON echecs_connexion (id);
CREATE INDEX echecs_connexion_at ON echecs_connexion (at);

CREATE TABLE adresses_connues (
    cle     TEXT COLLATE "C" NOT NULL,
    adresse TEXT COLLATE "C" NOT NULL,
    vue_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (cle, adresse)
);
CREATE INDEX adresses_connues_vue_at ON adresses_connues (vue_at);
