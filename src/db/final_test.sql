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
