-- Événements: the messages sent to a registered person through the kernel's outbox (the
-- reminder the day before, the message after), one row each: the job that writes them
-- inserts here first, so that running it again sends nothing twice.
CREATE TABLE evenements_rappels (
    inscription_id BIGINT NOT NULL REFERENCES inscriptions (id),
    -- 'veille' (the day before) or 'apres' (after the event).
    nature         TEXT NOT NULL CHECK (nature IN ('veille', 'apres')),
    envoye_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (inscription_id, nature)
);
