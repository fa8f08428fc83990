-- The pass's code kept on its redemption (a code never changes): a place's monthly
-- statement reads its month from `pass_utilisations` alone, without joining `pass` (see
-- docs/PERFORMANCE.md).
ALTER TABLE pass_utilisations ADD COLUMN code TEXT NOT NULL DEFAULT '';
UPDATE pass_utilisations SET code = (SELECT p.code FROM pass p WHERE p.id = pass_utilisations.pass_id);
