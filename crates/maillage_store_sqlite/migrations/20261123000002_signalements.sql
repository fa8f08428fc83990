-- Error reports sent by the public from a place's page ("signaler une erreur").
-- lieu_id is the published place's id, without a foreign key: the published directory is
-- replaced as a whole at each merge, reports are kept. Timestamps are RFC 3339 text in UTC,
-- booleans are 0/1.
CREATE TABLE signalements (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    lieu_id    TEXT NOT NULL,
    categorie  TEXT NOT NULL,
    message    TEXT NOT NULL,
    contact    TEXT,
    created_at TEXT NOT NULL,
    traite     INTEGER NOT NULL DEFAULT 0 CHECK (traite IN (0, 1))
) STRICT;

CREATE INDEX signalements_lieu_created ON signalements (lieu_id, created_at);
