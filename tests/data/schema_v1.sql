-- lta schema version 1 as it shipped (frozen: the migration test opens a database made with it).
-- lta's public schema, version 1. Every column is documented in README.md ("Schema").
CREATE SEQUENCE IF NOT EXISTS file_id_seq START 1;

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
  system         VARCHAR CHECK (system IN ('A', 'B')),
  model          VARCHAR,
  serial         VARCHAR,
  test_date      TIMESTAMP,
  trim_note      VARCHAR,
  n_tracks       INTEGER NOT NULL DEFAULT 0,
  n_points       INTEGER NOT NULL DEFAULT 0,
  skipped_rows   INTEGER NOT NULL DEFAULT 0,
  ingested_at    TIMESTAMP NOT NULL,
  parser_version VARCHAR NOT NULL
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
-- Analysis results (issue "Analyze"); documented in README.md ("Schema").
CREATE TABLE IF NOT EXISTS tracks (
  file_id               BIGINT NOT NULL,
  track_id              VARCHAR NOT NULL,
  stage                 VARCHAR,
  n_points              INTEGER NOT NULL,
  travel_length         DOUBLE,
  linearity_spec        DOUBLE,
  sigma_gradient        DOUBLE,
  sigma_threshold       DOUBLE,
  threshold_source      VARCHAR,
  sigma_pass            BOOLEAN,
  optimal_offset        DOUBLE,
  linearity_error       DOUBLE,
  linearity_pass        BOOLEAN,
  fail_points           INTEGER,
  raw_fail_points       INTEGER,
  raw_linearity_error   DOUBLE,
  margin_to_spec        DOUBLE,
  max_violation         DOUBLE,
  avg_violation         DOUBLE,
  near_miss             BOOLEAN,
  unit_length           DOUBLE,
  untrimmed_resistance  DOUBLE,
  trimmed_resistance    DOUBLE,
  resistance_change_pct DOUBLE,
  trim_improvement_pct  DOUBLE,
  failure_probability   DOUBLE,
  risk_category         VARCHAR,
  overall_status        VARCHAR NOT NULL CHECK (overall_status IN ('PASS', 'FAIL', 'WARNING', 'ERROR')),
  status_reason         VARCHAR,
  offset_search         VARCHAR NOT NULL CHECK (offset_search IN ('exact', 'legacy')),
  other_search_offset   DOUBLE,
  other_search_fail_points INTEGER,
  other_search_status   VARCHAR,
  analysis_version      VARCHAR NOT NULL,
  analyzed_at           TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS model_thresholds (
  model           VARCHAR PRIMARY KEY,
  sigma_threshold DOUBLE NOT NULL,
  note            VARCHAR,
  updated_at      TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE OR REPLACE VIEW v_tracks AS
SELECT f.file_name, f.model, f.serial, f.test_date, f.system, f.trim_note, t.*
FROM tracks t JOIN files f USING (file_id);

CREATE OR REPLACE VIEW v_offset_disagreements AS
SELECT file_id, file_name, model, serial, test_date, track_id, offset_search,
       overall_status, fail_points, optimal_offset,
       other_search_status, other_search_fail_points, other_search_offset
FROM v_tracks
WHERE other_search_status IS NOT NULL AND other_search_status <> overall_status;
-- Statistical process control (issue "SPC and drift"); documented in README.md ("Schema").
CREATE SEQUENCE IF NOT EXISTS spc_alarm_id_seq START 1;

-- Control limits are versioned: recomputing adds a version, history keeps the limits it was judged by.
CREATE TABLE IF NOT EXISTS control_limits (
  model         VARCHAR NOT NULL,
  metric        VARCHAR NOT NULL,
  version       INTEGER NOT NULL,
  centre        DOUBLE NOT NULL,
  sigma         DOUBLE NOT NULL,
  lcl           DOUBLE NOT NULL,
  ucl           DOUBLE NOT NULL,
  mr_bar        DOUBLE NOT NULL,
  n             INTEGER NOT NULL,
  computed_from TIMESTAMP NOT NULL,
  computed_to   TIMESTAMP NOT NULL,
  computed_at   TIMESTAMP NOT NULL,
  PRIMARY KEY (model, metric, version)
);

CREATE TABLE IF NOT EXISTS spc_alarms (
  alarm_id         BIGINT PRIMARY KEY DEFAULT nextval('spc_alarm_id_seq'),
  model            VARCHAR NOT NULL,
  metric           VARCHAR NOT NULL,
  rule             VARCHAR NOT NULL,
  description      VARCHAR NOT NULL,
  limits_version   INTEGER,
  first_at         TIMESTAMP NOT NULL,
  last_at          TIMESTAMP NOT NULL,
  first_file_id    BIGINT NOT NULL,
  last_file_id     BIGINT NOT NULL,
  file_ids         BIGINT[] NOT NULL,
  points           INTEGER NOT NULL,
  created_at       TIMESTAMP NOT NULL,
  acknowledged_by  VARCHAR,
  acknowledged_at  TIMESTAMP,
  assignable_cause VARCHAR
);
INSERT OR REPLACE INTO lta_meta VALUES ('schema_version', '1');
