-- Storage of the places directory (see maillage_store::LieuxStore).
-- Timestamps are RFC 3339 text in UTC, dates are 'YYYY-MM-DD', booleans are 0/1.

-- One place as read from one source file; retired (active = 0) once missing from a
-- later import of its source.
CREATE TABLE source_records (
    source        TEXT NOT NULL,
    source_id     TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    data          TEXT NOT NULL,
    code_insee    TEXT,
    latitude      REAL,
    longitude     REAL,
    date_maj      TEXT,
    active        INTEGER NOT NULL CHECK (active IN (0, 1)),
    first_seen_at TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    retired_at    TEXT,
    PRIMARY KEY (source, source_id)
) STRICT;

-- One row per import, with the importer's report and what the import changed.
CREATE TABLE import_reports (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at   TEXT NOT NULL,
    source       TEXT NOT NULL,
    format       TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    rows_read    INTEGER NOT NULL,
    accepted     INTEGER NOT NULL,
    corrected    INTEGER NOT NULL,
    rejected     INTEGER NOT NULL,
    details_json TEXT NOT NULL,
    added        INTEGER NOT NULL,
    updated      INTEGER NOT NULL,
    unchanged    INTEGER NOT NULL,
    retired      INTEGER NOT NULL
) STRICT;

-- The published directory, replaced as a whole after each merge.
CREATE TABLE merged_lieux (
    id         TEXT NOT NULL PRIMARY KEY,
    data       TEXT NOT NULL,
    provenance TEXT NOT NULL,
    code_insee TEXT,
    latitude   REAL,
    longitude  REAL
) STRICT;

-- The source records ("SOURCE#ID") merged into each place, in order. A source record
-- belongs to at most one merged place.
CREATE TABLE merged_lieu_members (
    lieu_id    TEXT NOT NULL REFERENCES merged_lieux (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    member_ref TEXT NOT NULL UNIQUE,
    PRIMARY KEY (lieu_id, position)
) STRICT;

-- Human decisions on unordered pairs of source records, stored with ref_a < ref_b.
CREATE TABLE pair_decisions (
    ref_a      TEXT NOT NULL,
    ref_b      TEXT NOT NULL,
    decision   TEXT NOT NULL CHECK (decision IN ('confirme', 'refuse')),
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    note       TEXT,
    PRIMARY KEY (ref_a, ref_b),
    CHECK (ref_a < ref_b)
) STRICT;
