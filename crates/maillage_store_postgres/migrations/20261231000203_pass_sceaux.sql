-- Signed seals over the pass stream of the journal: the Mandats seals' mechanism with the
-- pass stream's domain prefix (`Flux::Pass`), so that a rewritten chain or a deleted end is
-- caught at the next seal. Append-only like the journal.
CREATE TABLE pass_journal_sceaux (
    seq       BIGINT PRIMARY KEY,
    hash      BYTEA NOT NULL,
    at_us     BIGINT NOT NULL,
    signature BYTEA NOT NULL
);
CREATE TRIGGER pass_journal_sceaux_sans_modification BEFORE UPDATE OR DELETE ON pass_journal_sceaux
    FOR EACH ROW EXECUTE FUNCTION journal_refuse_modification();
CREATE TRIGGER pass_journal_sceaux_sans_troncature BEFORE TRUNCATE ON pass_journal_sceaux
    FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse_modification();
