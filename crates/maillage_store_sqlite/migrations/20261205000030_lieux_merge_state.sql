-- Whether the published directory is up to date with the source records (see
-- maillage_store::MergeState): every import adds 1 to `wanted` in its transaction, every
-- re-merge sets `done` to the `wanted` value it started from. wanted > done means a
-- re-merge is owed (for example after a crash between an import and its re-merge).
CREATE TABLE lieux_merge_state (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    wanted INTEGER NOT NULL,
    done   INTEGER NOT NULL
) STRICT;

INSERT INTO lieux_merge_state (id, wanted, done) VALUES (1, 0, 0);
