-- An upload of the back office may come with its column mapping (the TOML file of
-- `maillage import --mapping`): the preview and « Appliquer » read the file with it.
ALTER TABLE imports_en_attente ADD COLUMN correspondance TEXT;
