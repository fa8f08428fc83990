-- What a coordinator decided about an error report: 'traite' (the listing was corrected or the
-- source told) or 'rejete' (nothing to change), by which account (NULL from the command line)
-- and when (RFC 3339 text in UTC). All NULL while the report is open; reports closed before
-- this column existed keep traite = 1 and a NULL decision.
ALTER TABLE signalements ADD COLUMN decision TEXT CHECK (decision IN ('traite', 'rejete'));
ALTER TABLE signalements ADD COLUMN decide_par INTEGER;
ALTER TABLE signalements ADD COLUMN decide_at TEXT;
