-- A redemption looked up by its pass, and a place's nonce looked up, over every row (those
-- of the tests' control run included): the partial unique indexes (WHERE NOT
-- controle_sans_garde) cannot serve these lookups, so each redemption scanned the place's
-- redemptions (issue 18: the group commit reads both for every request of a batch).
CREATE INDEX pass_utilisations_pass ON pass_utilisations (pass_id);
CREATE INDEX pass_utilisations_lieu_nonce ON pass_utilisations (structure_id, nonce);
