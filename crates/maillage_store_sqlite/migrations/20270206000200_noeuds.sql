-- Several app nodes on one database (issue « Fiabilité et exploitation », item 2): what
-- still lived in one process.

-- Identity verifications through a provider (Mandats), per aidant account: the pending
-- authorization request (`demande`: state, nonce, PKCE verifier, provider, created at) and
-- the identity it returned (`verifiee`), each used once (taken with DELETE … RETURNING),
-- valid 30 minutes; older rows are purged by the hourly Mandats job.
CREATE TABLE identifications_en_cours (
    compte_id  INTEGER NOT NULL,
    nature     TEXT NOT NULL CHECK (nature IN ('demande', 'verifiee')),
    donnees    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (compte_id, nature)
) STRICT;

-- The public forms' limits (error reports, registrations): hits counted under a key in a
-- window that opens at the first hit and ends at fin_ms (Unix milliseconds); a row past
-- its end is reset by the next hit, or purged by the hourly job.
CREATE TABLE compteurs_limites (
    cle    TEXT PRIMARY KEY,
    fin_ms INTEGER NOT NULL,
    nombre INTEGER NOT NULL
) STRICT;
CREATE INDEX compteurs_limites_fin ON compteurs_limites (fin_ms);

-- Instance-wide secrets drawn once by the first node that needs them (the forms' key when
-- MAILLAGE_CLE_FORMULAIRES is not set), so that every node uses the same.
CREATE TABLE secrets_instance (
    nom    TEXT PRIMARY KEY,
    valeur TEXT NOT NULL
) STRICT;
