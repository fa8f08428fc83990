-- The person's space: a session epoch per person (« Fermer » increments it, and every
-- session cookie carrying an older one is refused, on every node), and the short notes an
-- aidant may add to a declared use. A note is personal data: it lives here, purged with the
-- person, and the journal entry of the use carries only its SHA-256.
ALTER TABLE usagers ADD COLUMN session_epoque INTEGER NOT NULL DEFAULT 0;

CREATE TABLE notes_utilisation (
    seq       INTEGER PRIMARY KEY,
    mandat_id INTEGER NOT NULL REFERENCES mandats (id),
    note      TEXT NOT NULL
) STRICT;
CREATE INDEX notes_utilisation_mandat ON notes_utilisation (mandat_id);
