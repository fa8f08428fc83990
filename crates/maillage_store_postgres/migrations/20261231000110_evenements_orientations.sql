-- Événements: a check-in may record that the person was oriented, with the need named (a
-- label of the Lieux services vocabulary, as the orientation sheet uses them). NULL: not
-- oriented. Sent with the check-in in its idempotent batch, so a re-upload counts once.
ALTER TABLE evenements_pointages ADD COLUMN besoin TEXT;
