/**
 * The reads behind `/compare`: Final Test against trim (`trim_vs_final_in`) for final tests in a range of
 * days. An escape passed trim but failed Final Test; an overkill failed trim but passed Final Test.
 */
import type { Queryable } from "./connection.ts";

/**
 * In one pass over the view: per model, the final tests, how many were judged against a trim, escapes,
 * overkills and unmatched ones; and the confusion matrix of judged final tests (trim verdict × Final Test).
 */
export async function compareCounts(r: Queryable, from: string | null, to: string) {
  const rows = await r.rows(
    `SELECT GROUPING(model) = 0 AS per_model, coalesce(model, '(unknown)') AS model, trim_status, final_status,
            count(*) AS finals, count(*) FILTER (WHERE outcome IS NOT NULL) AS judged,
            count(*) FILTER (WHERE outcome = 'escape') AS escapes,
            count(*) FILTER (WHERE outcome = 'trim_fail_final_pass') AS overkills,
            count(*) FILTER (WHERE trim_file_id IS NULL) AS unmatched
     FROM trim_vs_final_in($1, $2)
     GROUP BY GROUPING SETS ((model), (trim_status, final_status))`,
    [from, to],
  );
  const perModel = rows.filter((x) => x.per_model)
    .sort((a, b) => Number(b.escapes) - Number(a.escapes) || String(a.model).localeCompare(String(b.model)));
  const matrix = rows.filter((x) => !x.per_model && Number(x.judged) > 0)
    .map((x) => ({ trim_status: x.trim_status, final_status: x.final_status, n: x.judged }));
  return { perModel, matrix };
}

/** The escapes and overkills themselves, newest first (from row `offset`), with both files. */
export function disagreements(r: Queryable, from: string | null, to: string, limit: number, offset = 0) {
  return r.rows(
    `SELECT outcome, model, serial, trim_model, trim_serial, track_id, trim_file_id, final_file_id,
            trim_status, final_status, strftime(trim_date, '%Y-%m-%d %H:%M') AS trim_date,
            strftime(final_date, '%Y-%m-%d %H:%M') AS final_date, days_since_trim
     FROM trim_vs_final_in($1, $2) WHERE outcome IN ('escape', 'trim_fail_final_pass')
     ORDER BY final_date DESC LIMIT $3 OFFSET $4`,
    [from, to, limit, offset],
  );
}
