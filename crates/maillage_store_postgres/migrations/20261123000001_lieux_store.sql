-- Storage of the places directory (see maillage_store::LieuxStore).
-- Keys use the "C" collation so that every listing is in byte order, as with SQLite.

-- One place as read from one source file; retired (active = false) once missing from a
-- later import of its source.
CREATE TABLE source_records (
    source        TEXT COLLATE "C" NOT NULL,
    source_id     TEXT COLLATE "C" NOT NULL,
    content_hash  TEXT NOT NULL,
    data          TEXT NOT NULL,
    code_insee    TEXT,
    latitude      DOUBLE PRECISION,
    longitude     DOUBLE PRECISION,
    date_maj      DATE,
    active        BOOLEAN NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    retired_at    TIMESTAMPTZ,
    PRIMARY KEY (source, source_id)
);

-- One row per import, with the importer's report and what the import changed.
CREATE TABLE import_reports (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at   TIMESTAMPTZ NOT NULL,
    source       TEXT NOT NULL,
    format       TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    rows_read    BIGINT NOT NULL,
    accepted     BIGINT NOT NULL,
    corrected    BIGINT NOT NULL,
    rejected     BIGINT NOT NULL,
    details_json TEXT NOT NULL,
    added        BIGINT NOT NULL,
    updated      BIGINT NOT NULL,
    unchanged    BIGINT NOT NULL,
    retired      BIGINT NOT NULL
);

-- The published directory, replaced as a whole after each merge.
CREATE TABLE merged_lieux (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    data       TEXT NOT NULL,
    provenance TEXT NOT NULL,
    code_insee TEXT,
    latitude   DOUBLE PRECISION,
    longitude  DOUBLE PRECISION
);

-- The source records ("SOURCE#ID") merged into each place, in order. A source record
-- belongs to at most one merged place.
CREATE TABLE merged_lieu_members (
    lieu_id    TEXT COLLATE "C" NOT NULL REFERENCES merged_lieux (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    member_ref TEXT COLLATE "C" NOT NULL UNIQUE,
    PRIMARY KEY (lieu_id, position)
);

-- Human decisions on unordered pairs of source records, stored with ref_a < ref_b.
CREATE TABLE pair_decisions (
    ref_a      TEXT COLLATE "C" NOT NULL,
    ref_b      TEXT COLLATE "C" NOT NULL,
    decision   TEXT NOT NULL CHECK (decision IN ('confirme', 'refuse')),
    decided_by TEXT NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL,
    note       TEXT,
    PRIMARY KEY (ref_a, ref_b),
    CHECK (ref_a < ref_b)
);
