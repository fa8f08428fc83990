-- Événements: the waiting list's time-limited offer. A registration still « liste_attente »
-- with `offre_jusqu_a` set holds a freed seat until then (the seat counts as taken); the
-- person confirms before (« inscrit »), or the offer lapses and goes to the next person.
ALTER TABLE inscriptions ADD COLUMN offre_jusqu_a TIMESTAMPTZ;
CREATE INDEX inscriptions_offres ON inscriptions (offre_jusqu_a) WHERE offre_jusqu_a IS NOT NULL;
