-- Error reports sent by the public from a place's page ("signaler une erreur").
-- lieu_id is the published place's id, without a foreign key: the published directory is
-- replaced as a whole at each merge, reports are kept.
CREATE TABLE signalements (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lieu_id    TEXT COLLATE "C" NOT NULL,
    categorie  TEXT NOT NULL,
    message    TEXT NOT NULL,
    contact    TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    traite     BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE INDEX signalements_lieu_created ON signalements (lieu_id, created_at);
