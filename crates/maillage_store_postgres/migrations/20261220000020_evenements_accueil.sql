-- Événements, the day itself: check-ins (registered persons and anonymous walk-ins) sent
-- by the check-in devices, each with a client-generated UUID; one presence per
-- registration; the devices' allotments of free seats; the collective activity record made
-- from a session's attendance.
CREATE TABLE evenements_pointages (
    id             BIGSERIAL PRIMARY KEY,
    uuid           TEXT NOT NULL UNIQUE,
    session_id     BIGINT NOT NULL REFERENCES evenements_sessions (id),
    -- Denormalised from the session: walk-ins count against the jauge.
    jauge_id       BIGINT NOT NULL REFERENCES evenements_jauges (id),
    -- NULL: a walk-in. One check-in per registration.
    inscription_id BIGINT UNIQUE REFERENCES inscriptions (id),
    appareil       TEXT NOT NULL,
    compte_id      BIGINT NOT NULL,
    tranche_age    TEXT,
    statut_social  TEXT,
    pointe_at      TIMESTAMPTZ NOT NULL,
    recu_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX evenements_pointages_session ON evenements_pointages (session_id, id);
CREATE INDEX evenements_pointages_jauge ON evenements_pointages (jauge_id);

-- A second device's check-in of a person already checked in: kept (idempotent by its
-- UUID) so that both devices are told.
CREATE TABLE evenements_pointages_doublons (
    uuid           TEXT PRIMARY KEY,
    pointage_id    BIGINT NOT NULL REFERENCES evenements_pointages (id),
    appareil       TEXT NOT NULL,
    pointe_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX evenements_pointages_doublons_pointage ON evenements_pointages_doublons (pointage_id);

-- Seats of a jauge held by a device for the walk-ins it may register offline.
CREATE TABLE evenements_allocations (
    session_id BIGINT NOT NULL REFERENCES evenements_sessions (id),
    jauge_id   BIGINT NOT NULL REFERENCES evenements_jauges (id),
    appareil   TEXT NOT NULL,
    places     BIGINT NOT NULL CHECK (places >= 0),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (session_id, appareil)
);
CREATE INDEX evenements_allocations_jauge ON evenements_allocations (jauge_id);

-- The Médiation collective activity record made from a session's attendance (its id in
-- Médiation, written through Médiation's use cases).
CREATE TABLE evenements_sessions_activites (
    session_id  BIGINT PRIMARY KEY REFERENCES evenements_sessions (id),
    activite_id BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
