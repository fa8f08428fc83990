-- Pass ledger off the redemption's path: a redemption (or any pass write) that cannot take
-- the pass journal's lock at once leaves its entry here, committed with the row it
-- describes; the next holder of the lock chains the waiting entries, oldest first, into
-- `pass_journal` and deletes them here in the same transaction. `utilisation_id` names the
-- redemption whose `journal_seq` is filled in when its entry is chained (0 until then).
CREATE TABLE pass_journal_attente (
    id             BIGSERIAL PRIMARY KEY,
    at_us          BIGINT NOT NULL,
    action         TEXT NOT NULL,
    acteur         TEXT NOT NULL,
    structure_id   BIGINT,
    objet_id       BIGINT,
    usager         TEXT,
    demarches      TEXT NOT NULL,
    details        TEXT NOT NULL,
    utilisation_id BIGINT REFERENCES pass_utilisations (id)
);
