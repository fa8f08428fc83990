-- Événements: the keys (« Mon espace ») given at the check-in to people who had none
-- (walk-ins mostly), one row per key, counted as « clés remises » in the reports. The
-- person's row (in `personnes`) is the key itself; its code is shown once and not kept.
CREATE TABLE evenements_cles_remises (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id  INTEGER NOT NULL REFERENCES evenements_sessions (id),
    personne_id INTEGER NOT NULL REFERENCES personnes (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX evenements_cles_remises_session ON evenements_cles_remises (session_id);
CREATE INDEX evenements_cles_remises_personne ON evenements_cles_remises (personne_id);
