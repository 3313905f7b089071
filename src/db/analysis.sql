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
SELECT f.file_name, f.model, f.serial, f.test_date, f.system, f.trim_note, f.station, t.*
FROM tracks t JOIN files f USING (file_id);

CREATE OR REPLACE VIEW v_offset_disagreements AS
SELECT file_id, file_name, model, serial, test_date, track_id, offset_search,
       overall_status, fail_points, optimal_offset,
       other_search_status, other_search_fail_points, other_search_offset
FROM v_tracks
WHERE other_search_status IS NOT NULL AND other_search_status <> overall_status;
