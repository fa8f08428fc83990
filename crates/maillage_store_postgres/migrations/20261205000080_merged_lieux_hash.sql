-- Fingerprint of each published place (see maillage_store::merged_row_hash: sha256 of its
-- stored columns and members), so that a re-merge rewrites only the places that changed
-- (issue 14, item 14). NULL for places published before this migration: they are
-- rewritten by the next re-merge.
ALTER TABLE merged_lieux ADD COLUMN content_hash TEXT;
