-- Enquête de besoins: the number of people in the household of each answer (the sum of
-- the household questions; NULL when not answered), the stratum of the census weighting
-- of the rates (one-person households or more, against the commune's census share of
-- one-person households). Answers received before this migration stay NULL (size unknown:
-- they count in the unweighted rate only).
ALTER TABLE enquete_reponses ADD COLUMN personnes_foyer BIGINT
    CHECK (personnes_foyer IS NULL OR personnes_foyer > 0);

-- « Un coup de main à la porte »: what a surveyor gave, with the person's consent (an
-- orientation sheet, a registration to a session, a « Mon espace » key), counted per
-- campaign and commune. Counts only: no name, no address, no link to an answer.
CREATE TABLE enquete_coups_de_main (
    id          BIGSERIAL PRIMARY KEY,
    campagne_id BIGINT NOT NULL REFERENCES enquete_campagnes (id),
    commune     TEXT NOT NULL,
    genre       TEXT NOT NULL CHECK (genre IN ('fiche', 'inscription', 'cle')),
    donne_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX enquete_coups_de_main_campagne ON enquete_coups_de_main (campagne_id);
