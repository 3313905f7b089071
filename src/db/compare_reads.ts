/**
 * The reads behind `/compare`: Final Test against trim (`v_trim_vs_final`) for final tests in a range of
 * days. An escape passed trim but failed Final Test; an overkill failed trim but passed Final Test.
 */
import type { Queryable } from "./connection.ts";

const IN_RANGE = `($1::DATE IS NULL OR final_date >= $1::DATE) AND final_date < $2::DATE + 1`;

/** Per model: final tests, how many were judged against a trim, escapes, overkills, and unmatched ones. */
export function comparePerModel(r: Queryable, from: string | null, to: string) {
  return r.rows(
    `SELECT coalesce(model, '(unknown)') AS model, count(*) AS finals,
            count(*) FILTER (WHERE outcome IS NOT NULL) AS judged,
            count(*) FILTER (WHERE outcome = 'escape') AS escapes,
            count(*) FILTER (WHERE outcome = 'trim_fail_final_pass') AS overkills,
            count(*) FILTER (WHERE trim_file_id IS NULL) AS unmatched
     FROM v_trim_vs_final WHERE ${IN_RANGE} GROUP BY 1 ORDER BY escapes DESC, 1`,
    [from, to],
  );
}

/** The confusion matrix: judged final tests by trim verdict and Final Test verdict. */
export function confusionMatrix(r: Queryable, from: string | null, to: string) {
  return r.rows(
    `SELECT trim_status, final_status, count(*) AS n FROM v_trim_vs_final
     WHERE ${IN_RANGE} AND outcome IS NOT NULL GROUP BY ALL`,
    [from, to],
  );
}

/** The escapes and overkills themselves, newest first, with both files. */
export function disagreements(r: Queryable, from: string | null, to: string, limit: number) {
  return r.rows(
    `SELECT outcome, model, serial, trim_model, trim_serial, track_id, trim_file_id, final_file_id,
            trim_status, final_status, strftime(trim_date, '%Y-%m-%d %H:%M') AS trim_date,
            strftime(final_date, '%Y-%m-%d %H:%M') AS final_date, days_since_trim
     FROM v_trim_vs_final WHERE ${IN_RANGE} AND outcome IN ('escape', 'trim_fail_final_pass')
     ORDER BY final_date DESC LIMIT $3`,
    [from, to, limit],
  );
}
