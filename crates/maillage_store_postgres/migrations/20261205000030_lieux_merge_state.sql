-- Whether the published directory is up to date with the source records (see
-- maillage_store::MergeState): every import adds 1 to `wanted` in its transaction, every
-- re-merge sets `done` to the `wanted` value it started from. wanted > done means a
-- re-merge is owed (for example after a crash between an import and its re-merge).
CREATE TABLE lieux_merge_state (
    id     SMALLINT PRIMARY KEY CHECK (id = 1),
    wanted BIGINT NOT NULL,
    done   BIGINT NOT NULL
);

INSERT INTO lieux_merge_state (id, wanted, done) VALUES (1, 0, 0);
