-- Événements, the day itself: check-ins (registered persons and anonymous walk-ins) sent
-- by the check-in devices, each with a client-generated UUID; one presence per
-- registration; the devices' allotments of free seats; the collective activity record made
-- from a session's attendance.
CREATE TABLE evenements_pointages (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid           TEXT NOT NULL UNIQUE,
    session_id     INTEGER NOT NULL REFERENCES evenements_sessions (id),
    -- Denormalised from the session: walk-ins count against the jauge.
    jauge_id       INTEGER NOT NULL REFERENCES evenements_jauges (id),
    -- NULL: a walk-in. One check-in per registration.
    inscription_id INTEGER UNIQUE REFERENCES inscriptions (id),
    appareil       TEXT NOT NULL,
    compte_id      INTEGER NOT NULL,
    tranche_age    TEXT,
    statut_social  TEXT,
    pointe_at      TEXT NOT NULL,
    recu_at        TEXT NOT NULL
) STRICT;
CREATE INDEX evenements_pointages_session ON evenements_pointages (session_id, id);
CREATE INDEX evenements_pointages_jauge ON evenements_pointages (jauge_id);

-- A second device's check-in of a person already checked in: kept (idempotent by its
-- UUID) so that both devices are told.
CREATE TABLE evenements_pointages_doublons (
    uuid           TEXT PRIMARY KEY,
    pointage_id    INTEGER NOT NULL REFERENCES evenements_pointages (id),
    appareil       TEXT NOT NULL,
    pointe_at      TEXT NOT NULL
) STRICT;
CREATE INDEX evenements_pointages_doublons_pointage ON evenements_pointages_doublons (pointage_id);

-- Seats of a jauge held by a device for the walk-ins it may register offline.
CREATE TABLE evenements_allocations (
    session_id INTEGER NOT NULL REFERENCES evenements_sessions (id),
    jauge_id   INTEGER NOT NULL REFERENCES evenements_jauges (id),
    appareil   TEXT NOT NULL,
    places     INTEGER NOT NULL CHECK (places >= 0),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (session_id, appareil)
) STRICT;
CREATE INDEX evenements_allocations_jauge ON evenements_allocations (jauge_id);

-- The Médiation collective activity record made from a session's attendance (its id in
-- Médiation, written through Médiation's use cases).
CREATE TABLE evenements_sessions_activites (
    session_id  INTEGER PRIMARY KEY REFERENCES evenements_sessions (id),
    activite_id INTEGER NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;
