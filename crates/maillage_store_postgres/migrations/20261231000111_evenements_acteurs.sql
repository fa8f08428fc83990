-- Événements: the local actors of an event (stands, partners), in the organiser's order: a
-- place of the directory (`lieu_id`, its name kept as `nom`) or a named partner (no
-- `lieu_id`). Edited as a whole from the event's edit page.
CREATE TABLE evenements_acteurs (
    evenement_id BIGINT NOT NULL REFERENCES evenements (id),
    rang         BIGINT NOT NULL,
    nom          TEXT NOT NULL,
    lieu_id      TEXT,
    PRIMARY KEY (evenement_id, rang)
);
