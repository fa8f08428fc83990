-- The pass's code kept on its redemption (a code never changes): a place's monthly
-- statement reads its month from `pass_utilisations` alone, without joining `pass` (on
-- 1,000,000 redemptions that join was most of the statement's time, see
-- docs/PERFORMANCE.md).
ALTER TABLE pass_utilisations ADD COLUMN code TEXT;
UPDATE pass_utilisations u SET code = p.code FROM pass p WHERE p.id = u.pass_id;
ALTER TABLE pass_utilisations ALTER COLUMN code SET NOT NULL;
