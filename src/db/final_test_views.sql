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
