-- Pass ledger off the redemption's path: a pass write that cannot take the pass journal's
-- lock at once leaves its entry here, committed with the row it describes; the next holder
-- of the lock chains the waiting entries, oldest first, into `pass_journal` and deletes
-- them here in the same transaction. On SQLite every write holds the one write lock
-- (BEGIN IMMEDIATE), so entries are always chained at once and this table stays empty; it
-- exists so that both backends run the same text. `utilisation_id` names the redemption
-- whose `journal_seq` is filled in when its entry is chained (0 until then).
CREATE TABLE pass_journal_attente (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at_us          INTEGER NOT NULL,
    action         TEXT NOT NULL,
    acteur         TEXT NOT NULL,
    structure_id   INTEGER,
    objet_id       INTEGER,
    usager         TEXT,
    demarches      TEXT NOT NULL,
    details        TEXT NOT NULL,
    utilisation_id INTEGER REFERENCES pass_utilisations (id)
) STRICT;
