-- lta's public schema (version: SCHEMA_VERSION in database.ts; older files are migrated there). Every column is documented in docs/schema.md.
CREATE SEQUENCE IF NOT EXISTS file_id_seq START 1;

-- The station layouts files.system may name. A layout added later writes its row with its first file
-- (ingest/ledger.ts); the two shipped layouts are written when the database is made (migrations.ts).
CREATE TABLE IF NOT EXISTS station_layouts (
  system      VARCHAR PRIMARY KEY,
  station     VARCHAR NOT NULL,
  description VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS files (
  file_id        BIGINT PRIMARY KEY,
  path           VARCHAR NOT NULL,
  file_name      VARCHAR NOT NULL,
  sha256         VARCHAR NOT NULL,
  size_bytes     BIGINT NOT NULL,
  source_mtime   TIMESTAMP,
  version        INTEGER NOT NULL,
  status         VARCHAR NOT NULL CHECK (status IN ('loaded', 'quarantined')),
  reason_code    VARCHAR,
  reason         VARCHAR,
  quarantine_path VARCHAR,
  system         VARCHAR REFERENCES station_layouts (system),
  model          VARCHAR,
  serial         VARCHAR,
  test_date      TIMESTAMP,
  trim_note      VARCHAR,
  n_tracks       INTEGER NOT NULL DEFAULT 0,
  n_points       INTEGER NOT NULL DEFAULT 0,
  skipped_rows   INTEGER NOT NULL DEFAULT 0,
  ingested_at    TIMESTAMP NOT NULL,
  parser_version VARCHAR NOT NULL,
  kind           VARCHAR NOT NULL DEFAULT 'trim' CHECK (kind IN ('trim', 'final_test')),
  -- The unit's keys (unit_keys.sql), written with the row: Final Tests are matched to trims on them.
  model_key      VARCHAR,
  serial_key     VARCHAR,
  -- The station and line that sent the file (config `stations`, else its inbox subfolder).
  station        VARCHAR,
  line           VARCHAR
);

-- Point lookups per arriving file (dedupe by content, version by name) must not scan the ledger.
CREATE INDEX IF NOT EXISTS files_sha256 ON files (sha256);
CREATE INDEX IF NOT EXISTS files_file_name ON files (file_name);

CREATE TABLE IF NOT EXISTS duplicates (
  path         VARCHAR NOT NULL,
  file_name    VARCHAR NOT NULL,
  sha256       VARCHAR NOT NULL,
  size_bytes   BIGINT NOT NULL,
  source_mtime TIMESTAMP,
  duplicate_of BIGINT NOT NULL,
  seen_at      TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS track_meta (
  file_id              BIGINT NOT NULL,
  track_id             VARCHAR NOT NULL,
  data_sheet           VARCHAR NOT NULL,
  untrimmed_sheet      VARCHAR,
  has_trimmed          BOOLEAN NOT NULL,
  n_points             INTEGER NOT NULL,
  n_untrimmed_points   INTEGER NOT NULL,
  skipped_rows         INTEGER NOT NULL,
  trim_passes          INTEGER NOT NULL,
  unit_length          DOUBLE,
  measured_angle       DOUBLE,
  untrimmed_resistance DOUBLE,
  trimmed_resistance   DOUBLE,
  test_volts           DOUBLE,
  station_compensation DOUBLE,
  sheet_date           TIMESTAMP,
  PRIMARY KEY (file_id, track_id)
);

CREATE TABLE IF NOT EXISTS points (
  file_id        BIGINT NOT NULL,
  track_id       VARCHAR NOT NULL,
  stage          VARCHAR NOT NULL,
  sheet          VARCHAR NOT NULL,
  row_index      INTEGER NOT NULL,
  position       DOUBLE NOT NULL,
  error          DOUBLE NOT NULL,
  upper_limit    DOUBLE,
  lower_limit    DOUBLE,
  measured_volts DOUBLE,
  theory_volts   DOUBLE,
  "index"        DOUBLE
);

-- One row per scheduled job occurrence: a run is attempted once per (job, scheduled_for).
CREATE TABLE IF NOT EXISTS schedule_runs (
  job           VARCHAR NOT NULL,
  scheduled_for TIMESTAMP NOT NULL,
  started_at    TIMESTAMP NOT NULL,
  finished_at   TIMESTAMP,
  status        VARCHAR NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'interrupted')),
  error         VARCHAR,
  attempts      INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (job, scheduled_for)
);

CREATE TABLE IF NOT EXISTS lta_meta (
  key   VARCHAR PRIMARY KEY,
  value VARCHAR NOT NULL
);
