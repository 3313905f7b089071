-- lta's schema at version 6 (before files.station and the health alarm tables), for the migration test.
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
  serial_key     VARCHAR
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

-- Analysis results (issue "Analyze"); documented in docs/schema.md.
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

-- Statistical process control (issue "SPC and drift"); documented in docs/schema.md.
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
  computed_by   VARCHAR,
  reason        VARCHAR,
  baseline      VARCHAR,
  excluded      INTEGER,
  PRIMARY KEY (model, metric, version)
);

-- Files left out of a model's baselines (one metric, or both when metric is NULL), with who and why.
CREATE TABLE IF NOT EXISTS spc_exclusions (
  model        VARCHAR NOT NULL,
  metric       VARCHAR,
  file_id      BIGINT NOT NULL,
  reason       VARCHAR NOT NULL,
  excluded_by  VARCHAR NOT NULL,
  excluded_at  TIMESTAMP NOT NULL
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

-- Every acknowledgement of an alarm, oldest first: a later one (a corrected cause) adds a row, and
-- spc_alarms keeps the newest as its current state.
CREATE TABLE IF NOT EXISTS alarm_acknowledgements (
  alarm_id         BIGINT NOT NULL,
  acknowledged_at  TIMESTAMP NOT NULL,
  acknowledged_by  VARCHAR NOT NULL,
  assignable_cause VARCHAR NOT NULL,
  note             VARCHAR
);

-- Final Test (post-assembly) results and their link to trim results; documented in docs/schema.md.
-- The ledger row (`files`, kind = 'final_test') holds the model, serial and test date of the file.
CREATE TABLE IF NOT EXISTS final_tests (
  file_id             BIGINT NOT NULL,
  track_id            VARCHAR NOT NULL,
  format              VARCHAR NOT NULL CHECK (format IN ('standard', 'rout')),
  sheet               VARCHAR NOT NULL,
  n_points            INTEGER NOT NULL,
  position_column     VARCHAR,
  skipped_rows        INTEGER NOT NULL,
  compensation        DOUBLE,
  reported_linearity  VARCHAR,
  reported_tests      VARCHAR,
  -- The verdict, by the same analysis as trim tracks (filled in the file's load transaction).
  linearity_spec      DOUBLE,
  optimal_offset      DOUBLE,
  linearity_error     DOUBLE,
  linearity_pass      BOOLEAN,
  fail_points         INTEGER,
  raw_fail_points     INTEGER,
  sigma_gradient      DOUBLE,
  overall_status      VARCHAR CHECK (overall_status IN ('PASS', 'FAIL', 'ERROR')),
  status_reason       VARCHAR,
  offset_search       VARCHAR,
  analysis_version    VARCHAR,
  analyzed_at         TIMESTAMP,
  PRIMARY KEY (file_id, track_id)
);

CREATE TABLE IF NOT EXISTS final_test_points (
  file_id        BIGINT NOT NULL,
  track_id       VARCHAR NOT NULL,
  row_index      INTEGER NOT NULL,
  position       DOUBLE NOT NULL,
  error          DOUBLE NOT NULL,
  upper_limit    DOUBLE,
  lower_limit    DOUBLE,
  measured_volts DOUBLE,
  theory_volts   DOUBLE,
  "index"        DOUBLE
);

-- A unit's keys: how stations and test benches write the same unit differently (upstream-spec.md §2.6).
-- The ledger stores both keys with each file (files.model_key, files.serial_key); the lake computes them.
-- `SN007`, `7`, `7B` are one serial; `8275A` and `8275`, `2475-08` and `2475-8`, `7280-1-CT` and `7280-1` one model.
CREATE OR REPLACE MACRO lta_serial_key(s) AS
  regexp_replace(
    regexp_replace(
      regexp_replace(lower(trim(s)), '^(s/n|s\.n\.|sn|#)\s*', ''),
      '^([0-9]+)[abprt]$', '\1'),
    '^0+([0-9a-z])', '\1');

CREATE OR REPLACE MACRO lta_model_key(m) AS
  regexp_replace(
    regexp_replace(
      regexp_replace(lower(trim(m)), '-0+([0-9])', '-\1', 'g'),
      '^([0-9]+)[a-z]$', '\1'),
    '^([0-9]+(-[0-9]+)*)(-[a-z]+)+$', '\1');

-- Matching Final Tests to trims; documented in docs/schema.md ("Views"). Only views over `files`,
-- `tracks`, `final_tests`: the lake (src/export/lake.ts) runs this file unchanged over Parquet exports.
-- Units are matched on `files.model_key` and `files.serial_key` (unit_keys.sql), computed once per file.
CREATE OR REPLACE VIEW v_final_tests AS
SELECT f.file_name, f.model, f.serial, f.test_date, ft.*
FROM final_tests ft JOIN files f USING (file_id);

-- Each Final Test beside the trim of the same unit: the closest trim at or before the final test
-- (ASOF join on normalised model and serial). A final test with no such trim stays, with NULL trim columns.
-- `trim_vs_final_in(from_day, to_day)` does it for the final tests of those days (NULL: unbounded), which
-- narrows the trims to match before the joins; filtering the view afterwards matched every trim first.
CREATE OR REPLACE MACRO trim_vs_final_in(from_day, to_day) AS TABLE
WITH finals AS (
  SELECT f.file_id AS final_file_id, f.file_name AS final_file_name, f.model, f.serial, f.test_date AS final_date,
         ft.track_id, ft.overall_status AS final_status, ft.fail_points AS final_fail_points,
         ft.linearity_error AS final_linearity_error, ft.reported_linearity, f.model_key, f.serial_key,
         f.system
  FROM final_tests ft JOIN files f USING (file_id)
  WHERE (from_day::DATE IS NULL OR f.test_date >= from_day::DATE) AND (to_day::DATE IS NULL OR f.test_date < to_day::DATE + 1)
),
-- Only the trims of units that have a final test: a plant's ledger holds far more trims than finals.
trim_files AS (
  SELECT f.file_id AS trim_file_id, f.file_name AS trim_file_name, f.model AS trim_model,
         f.serial AS trim_serial, f.test_date AS trim_date, f.model_key, f.serial_key
  FROM files f SEMI JOIN (SELECT DISTINCT model_key, serial_key FROM finals) k USING (model_key, serial_key)
  WHERE f.kind = 'trim' AND f.status = 'loaded' AND f.model IS NOT NULL AND f.serial IS NOT NULL
    AND f.test_date IS NOT NULL
),
trims AS (
  SELECT tf.trim_file_id, tf.trim_file_name, tf.trim_model, tf.trim_serial, tf.trim_date, tf.model_key, tf.serial_key,
         ['PASS', 'WARNING', 'FAIL'][max(CASE t.overall_status WHEN 'FAIL' THEN 3 WHEN 'WARNING' THEN 2
                                            WHEN 'PASS' THEN 1 END)] AS trim_status,
         list({'track_id': t.track_id, 'status': t.overall_status}) AS track_statuses
  FROM trim_files tf JOIN tracks t ON t.file_id = tf.trim_file_id
  GROUP BY ALL
)
SELECT finals.final_file_id, finals.final_file_name, finals.model, finals.serial, finals.final_date,
       finals.track_id, finals.final_status, finals.final_fail_points, finals.final_linearity_error,
       finals.reported_linearity,
       trims.trim_file_id, trims.trim_file_name, trims.trim_model, trims.trim_serial, trims.trim_date,
       trims.trim_status, list_filter(trims.track_statuses, x -> x.track_id = finals.track_id)[1].status AS trim_track_status,
       CASE WHEN trims.trim_file_id IS NULL THEN NULL
            WHEN finals.model = trims.trim_model AND lower(finals.serial) = lower(trims.trim_serial) THEN 'exact'
            ELSE 'normalized' END AS match_method,
       date_diff('day', trims.trim_date, finals.final_date) AS days_since_trim,
       CASE WHEN trims.trim_file_id IS NULL OR finals.final_status NOT IN ('PASS', 'FAIL') THEN NULL
            WHEN trims.trim_status <> 'FAIL' AND finals.final_status = 'FAIL' THEN 'escape'
            WHEN trims.trim_status = 'FAIL' AND finals.final_status = 'PASS' THEN 'trim_fail_final_pass'
            ELSE 'agree' END AS outcome,
       finals.model_key, finals.serial_key, finals.system AS final_system
FROM finals
ASOF LEFT JOIN trims
  ON finals.model_key = trims.model_key AND finals.serial_key = trims.serial_key
 AND finals.final_date >= trims.trim_date;

CREATE OR REPLACE VIEW v_trim_vs_final AS SELECT * FROM trim_vs_final_in(NULL, NULL);

CREATE OR REPLACE VIEW v_final_tests_unmatched AS
SELECT final_file_id, final_file_name, model, serial, final_date, track_id, final_status,
       CASE WHEN model IS NULL OR serial IS NULL THEN 'no model or serial in the file name or sheet'
            ELSE 'no trim of this model and serial at or before the final test' END AS why
FROM v_trim_vs_final
WHERE trim_file_id IS NULL;

INSERT INTO station_layouts VALUES ('A', 'DLTS', 'sheets SEC1 TRKn 0 (untrimmed) and SEC1 TRKn 1 TRMm (trimmed), a pair per track'), ('B', 'LTS', 'sheets test (untrimmed) and Lin Error or Trim N (trimmed), one track') ON CONFLICT DO NOTHING;
INSERT OR REPLACE INTO lta_meta VALUES ('schema_version', '6');
