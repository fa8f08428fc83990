-- Événements: the keys (« Mon espace ») given at the check-in to people who had none
-- (walk-ins mostly), one row per key, counted as « clés remises » in the reports. The
-- person's row (in `personnes`) is the key itself; its code is shown once and not kept.
CREATE TABLE evenements_cles_remises (
    id          BIGSERIAL PRIMARY KEY,
    session_id  BIGINT NOT NULL REFERENCES evenements_sessions (id),
    personne_id BIGINT NOT NULL REFERENCES personnes (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX evenements_cles_remises_session ON evenements_cles_remises (session_id);
CREATE INDEX evenements_cles_remises_personne ON evenements_cles_remises (personne_id);
