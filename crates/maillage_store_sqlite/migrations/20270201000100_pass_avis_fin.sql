-- Pass numérique: telling a person, before the end of validity, about a pass attached to
-- their key (issue 18, the J−30 notice).
--
-- The e-mail address a person leaves in « Mon espace » to be told (theirs to change or
-- remove; used for nothing else).
CREATE TABLE pass_contacts (
    personne_id INTEGER PRIMARY KEY,
    contact     TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

-- The passes whose holder was told that the end of validity approaches: one row per pass,
-- inserted once (`ON CONFLICT DO NOTHING`) by whichever run of the daily job, on whichever
-- node, gets there first; only that run queues the message.
CREATE TABLE pass_avis_fin (
    pass_id  INTEGER PRIMARY KEY REFERENCES pass (id),
    avise_at TEXT NOT NULL
) STRICT;
