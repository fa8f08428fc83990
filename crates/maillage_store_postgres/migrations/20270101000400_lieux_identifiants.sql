-- Stable public ids of the published places (issue 20, item 3; see docs/LIEUX.md,
-- « Identifiants stables »). A re-merge gives each group of source records the id it had
-- (the oldest one when groups merge), and the ids that stop naming a place redirect.

-- Every id ever given to a published place: when it was first given, and its main record
-- (the smallest member ref when it was given): after a split, the id stays with the group
-- holding that record.
CREATE TABLE lieu_ids (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    main_ref    TEXT COLLATE "C" NOT NULL,
    first_given TIMESTAMPTZ NOT NULL
);

-- The id of the group each source record ("SOURCE#ID") was last published in. Rows of
-- retired records stay: a record imported again finds its id back.
CREATE TABLE lieu_id_members (
    member_ref TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    lieu_id    TEXT COLLATE "C" NOT NULL REFERENCES lieu_ids (id)
);

-- Ids that no longer name a place, and the id that does now (chains collapsed: `current`
-- is never itself redirected).
CREATE TABLE lieu_id_redirects (
    old_id     TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES lieu_ids (id),
    current_id TEXT COLLATE "C" NOT NULL REFERENCES lieu_ids (id),
    since      TIMESTAMPTZ NOT NULL,
    CHECK (old_id <> current_id)
);
CREATE INDEX lieu_id_redirects_current ON lieu_id_redirects (current_id);

-- The places published before this migration keep their ids.
INSERT INTO lieu_ids (id, main_ref, first_given)
SELECT lieu_id, MIN(member_ref), now()
FROM merged_lieu_members GROUP BY lieu_id;
INSERT INTO lieu_id_members (member_ref, lieu_id)
SELECT member_ref, lieu_id FROM merged_lieu_members;
