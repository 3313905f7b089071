-- Matching Final Tests to trims; documented in docs/schema.md ("Views"). Only views and macros over `files`,
-- `tracks`, `final_tests`: the lake (src/export/lake.ts) runs this file unchanged over Parquet exports.
-- How stations and test benches write the same unit differently (upstream-spec.md §2.6): `SN007`, `7`,
-- `7B` are one serial; `8275A` and `8275`, `2475-08` and `2475-8`, `7280-1-CT` and `7280-1` one model.
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

CREATE OR REPLACE VIEW v_final_tests AS
SELECT f.file_name, f.model, f.serial, f.test_date, ft.*
FROM final_tests ft JOIN files f USING (file_id);

-- Each Final Test beside the trim of the same unit: the closest trim at or before the final test
-- (ASOF join on normalised model and serial). A final test with no such trim stays, with NULL trim columns.
CREATE OR REPLACE VIEW v_trim_vs_final AS
WITH trims AS (
  SELECT f.file_id AS trim_file_id, f.file_name AS trim_file_name, f.model AS trim_model,
         f.serial AS trim_serial, f.test_date AS trim_date,
         lta_model_key(f.model) AS model_key, lta_serial_key(f.serial) AS serial_key,
         ['PASS', 'WARNING', 'FAIL'][max(CASE t.overall_status WHEN 'FAIL' THEN 3 WHEN 'WARNING' THEN 2
                                        WHEN 'PASS' THEN 1 END)] AS trim_status
  FROM files f JOIN tracks t USING (file_id)
  WHERE f.kind = 'trim' AND f.status = 'loaded' AND f.model IS NOT NULL AND f.serial IS NOT NULL
    AND f.test_date IS NOT NULL
  GROUP BY ALL
),
finals AS (
  SELECT file_id AS final_file_id, file_name AS final_file_name, model, serial, test_date AS final_date,
         track_id, overall_status AS final_status, fail_points AS final_fail_points,
         linearity_error AS final_linearity_error, reported_linearity,
         lta_model_key(model) AS model_key, lta_serial_key(serial) AS serial_key
  FROM v_final_tests
)
SELECT finals.final_file_id, finals.final_file_name, finals.model, finals.serial, finals.final_date,
       finals.track_id, finals.final_status, finals.final_fail_points, finals.final_linearity_error,
       finals.reported_linearity,
       trims.trim_file_id, trims.trim_file_name, trims.trim_model, trims.trim_serial, trims.trim_date,
       trims.trim_status, tt.overall_status AS trim_track_status,
       CASE WHEN trims.trim_file_id IS NULL THEN NULL
            WHEN finals.model = trims.trim_model AND lower(finals.serial) = lower(trims.trim_serial) THEN 'exact'
            ELSE 'normalized' END AS match_method,
       date_diff('day', trims.trim_date, finals.final_date) AS days_since_trim,
       CASE WHEN trims.trim_file_id IS NULL OR finals.final_status NOT IN ('PASS', 'FAIL') THEN NULL
            WHEN trims.trim_status <> 'FAIL' AND finals.final_status = 'FAIL' THEN 'escape'
            WHEN trims.trim_status = 'FAIL' AND finals.final_status = 'PASS' THEN 'trim_fail_final_pass'
            ELSE 'agree' END AS outcome
FROM finals
ASOF LEFT JOIN trims
  ON finals.model_key = trims.model_key AND finals.serial_key = trims.serial_key
 AND finals.final_date >= trims.trim_date
LEFT JOIN tracks tt ON tt.file_id = trims.trim_file_id AND tt.track_id = finals.track_id;

CREATE OR REPLACE VIEW v_final_tests_unmatched AS
SELECT final_file_id, final_file_name, model, serial, final_date, track_id, final_status,
       CASE WHEN model IS NULL OR serial IS NULL THEN 'no model or serial in the file name or sheet'
            ELSE 'no trim of this model and serial at or before the final test' END AS why
FROM v_trim_vs_final
WHERE trim_file_id IS NULL;
