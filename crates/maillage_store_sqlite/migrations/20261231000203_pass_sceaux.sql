-- Signed seals over the pass stream of the journal: the Mandats seals' mechanism with the
-- pass stream's domain prefix (`Flux::Pass`), so that a rewritten chain or a deleted end is
-- caught at the next seal. Append-only like the journal.
CREATE TABLE pass_journal_sceaux (
    seq       INTEGER PRIMARY KEY,
    hash      BLOB NOT NULL,
    at_us     INTEGER NOT NULL,
    signature BLOB NOT NULL
) STRICT;
CREATE TRIGGER pass_journal_sceaux_sans_modification BEFORE UPDATE ON pass_journal_sceaux
BEGIN
    SELECT RAISE(ABORT, 'pass journal seals are append-only: UPDATE refused');
END;
CREATE TRIGGER pass_journal_sceaux_sans_suppression BEFORE DELETE ON pass_journal_sceaux
BEGIN
    SELECT RAISE(ABORT, 'pass journal seals are append-only: DELETE refused');
END;
