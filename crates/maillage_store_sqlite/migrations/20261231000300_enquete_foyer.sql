-- Enquête de besoins: the number of people in the household of each answer (the sum of
-- the household questions; NULL when not answered), the stratum of the census weighting
-- of the rates (one-person households or more, against the commune's census share of
-- one-person households). Answers received before this migration stay NULL (size unknown:
-- they count in the unweighted rate only).
ALTER TABLE enquete_reponses ADD COLUMN personnes_foyer BIGINT
    CHECK (personnes_foyer IS NULL OR personnes_foyer > 0);
