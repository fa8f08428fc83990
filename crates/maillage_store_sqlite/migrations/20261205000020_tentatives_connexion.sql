-- Throttling of sign-in and personal-code attempts: rows of echecs_connexion are now
-- reserved before the secret is checked (rowid identifies one, to release it), purged by
-- age; addresses from which an account or a person signed in successfully are remembered
-- so that a distributed attack never slows them down.
CREATE INDEX echecs_connexion_at ON echecs_connexion (at);

CREATE TABLE adresses_connues (
    cle     TEXT NOT NULL,
    adresse TEXT NOT NULL,
    vue_at  TEXT NOT NULL,
    PRIMARY KEY (cle, adresse)
) STRICT;
CREATE INDEX adresses_connues_vue_at ON adresses_connues (vue_at);
