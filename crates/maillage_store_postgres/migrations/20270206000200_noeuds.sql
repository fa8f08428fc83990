-- Several app nodes on one database (issue « Fiabilité et exploitation », item 2): what
-- still lived in one process.

-- Identity verifications through a provider (Mandats), per aidant account: the pending
-- authorization request (`demande`: state, nonce, PKCE verifier, provider, created at) and
-- the identity it returned (`verifiee`), each used once (taken with DELETE … RETURNING),
-- valid 30 minutes; older rows are purged by the hourly Mandats job.
CREATE TABLE identifications_en_cours (
    compte_id  BIGINT NOT NULL,
    nature     TEXT NOT NULL CHECK (nature IN ('demande', 'verifiee')),
    donnees    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (compte_id, nature)
);

-- The public forms' limits (error reports, registrations): hits counted under a key in a
-- window that opens at the first hit and ends at fin_ms (Unix milliseconds); a row past
-- its end is reset by the next hit, or purged by the hourly job.
CREATE TABLE compteurs_limites (
    cle    TEXT PRIMARY KEY,
    fin_ms BIGINT NOT NULL,
    nombre BIGINT NOT NULL
);
CREATE INDEX compteurs_limites_fin ON compteurs_limites (fin_ms);

-- Instance-wide secrets drawn once by the first node that needs them (the forms' key when
-- MAILLAGE_CLE_FORMULAIRES is not set), so that every node uses the same.
CREATE TABLE secrets_instance (
    nom    TEXT PRIMARY KEY,
    valeur TEXT NOT NULL
);

-- The engine reload signal: every statement that changes what the search engine shows
-- (the published places; a coordinator's pair decision and a correction, whose re-merge
-- follows) notifies the channel `maillage_publication`. (An import's own commit does not:
-- it changes no published place; its re-merge's publication does.) PostgreSQL delivers it when the transaction
-- commits (once per transaction: identical notifications are folded), and each node's
-- listener rebuilds its engine at once (the periodic check stays as a fallback).
CREATE FUNCTION maillage_notifier_publication() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('maillage_publication', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER merged_lieux_publication
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON merged_lieux
    FOR EACH STATEMENT EXECUTE FUNCTION maillage_notifier_publication();
CREATE TRIGGER pair_decisions_historique_publication
    AFTER INSERT ON pair_decisions_historique
    FOR EACH STATEMENT EXECUTE FUNCTION maillage_notifier_publication();
CREATE TRIGGER lieux_corrections_publication
    AFTER INSERT OR UPDATE OR DELETE ON lieux_corrections
    FOR EACH STATEMENT EXECUTE FUNCTION maillage_notifier_publication();
