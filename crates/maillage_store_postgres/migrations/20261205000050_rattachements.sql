-- An account belongs to structures over time (an aidant may work for several, as in
-- Aidants Connect); `comptes.structure_id` stays the structure the account acts for now.
CREATE TABLE rattachements (
    compte_id    BIGINT NOT NULL REFERENCES comptes (id),
    structure_id BIGINT NOT NULL REFERENCES structures (id),
    debut        DATE NOT NULL,
    fin          DATE,
    PRIMARY KEY (compte_id, structure_id, debut),
    CHECK (fin IS NULL OR fin >= debut)
);
CREATE INDEX rattachements_structure ON rattachements (structure_id);

-- Accounts already tied to a structure belong to it since their creation.
INSERT INTO rattachements (compte_id, structure_id, debut)
SELECT id, structure_id, (created_at AT TIME ZONE 'UTC')::date FROM comptes
WHERE structure_id IS NOT NULL;
