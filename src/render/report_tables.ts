/**
 * The report's tables as plain cells, so the HTML page and the PDF show the same: the summary per model,
 * capability over the trend window (Cpk with its 95% interval and rating), and the alarms still open.
 */
import { capability } from "../analyze/capability.ts";
import { alarmList } from "../db/alarm_reads.ts";
import type { Queryable } from "../db/database.ts";
import { escapeXml } from "./svg.ts";
import { pct } from "../numbers.ts";
import { CAPABILITY_HEADER, capabilityCells } from "./capability_cells.ts";

/** A table's header and its rows of text cells. */
export interface Table {
  header: string[];
  rows: string[][];
}

/** One row per model tested on `date` (on `station`, when given), with its open alarms. */
export async function summaryTable(
  db: Queryable,
  date: string,
  station: string | null = null,
): Promise<Table> {
  const rows = await db.rows(
    `SELECT coalesce(model, '(unknown)') AS model, count(DISTINCT file_id) AS files, count(*) AS tracks,
            avg((overall_status = 'PASS')::INTEGER) AS pass_rate, avg(sigma_pass::INTEGER) AS sigma_pass_rate,
            count(*) FILTER (WHERE near_miss) AS near_misses,
            count(*) FILTER (WHERE overall_status IN ('FAIL', 'ERROR')) AS failing, max(coalesce(a.open, 0)) AS alarms
     FROM v_tracks v
     LEFT JOIN (SELECT model, count(*) AS open FROM spc_alarms
                WHERE acknowledged_at IS NULL AND ($2::VARCHAR IS NULL OR station = $2) GROUP BY model) a
       USING (model)
     WHERE test_date::DATE = $1::DATE AND ($2::VARCHAR IS NULL OR v.station = $2) GROUP BY 1 ORDER BY 1`,
    [date, station],
  );
  return {
    header: [
      "model",
      "files",
      "tracks",
      "pass rate",
      "sigma pass rate",
      "near misses",
      "failing",
      "open alarms",
    ],
    rows: rows.map((s) => [
      String(s.model),
      String(s.files),
      String(s.tracks),
      pct(s.pass_rate),
      pct(s.sigma_pass_rate),
      String(s.near_misses),
      String(s.failing),
      String(s.alarms),
    ]),
  };
}

/** The page's capability columns the report keeps (it has no room for mean, limit and normality). */
const REPORT_COLUMNS = ["metric", "n", "Cpk", "Cpk 95% CI", "Ppk", "PPM above: observed / expected", "rating"]
  .map((name) => CAPABILITY_HEADER.indexOf(name));

/** The capability of every model tested in `from`…`to` (on `station`, when given). */
export async function capabilityTable(
  db: Queryable,
  from: string,
  to: string,
  minN: number,
  station: string | null = null,
): Promise<Table> {
  const rows = await capability(db, { since: from, until: to, minN, station: station ?? undefined });
  return {
    header: [
      "model",
      "metric",
      "n",
      "Cpk (Cpu)",
      "Cpk 95% CI",
      "Ppk (Ppu)",
      "PPM above: observed / expected",
      "rating",
    ],
    rows: rows.map((c) => {
      const cells = capabilityCells(c);
      return [c.model, ...REPORT_COLUMNS.map((i) => cells[i])];
    }),
  };
}

/** The open alarms (of `station`, when given), newest first (at most 100). */
export async function openAlarmsTable(db: Queryable, station: string | null = null): Promise<Table> {
  const alarms = await alarmList(db, {
    show: "open",
    model: null,
    rule: null,
    from: null,
    limit: 100,
    station,
  });
  return {
    header: ["alarm", "model", "metric · rule", "what", "first → last"],
    rows: alarms.map((a) => [
      String(a.alarm_id),
      String(a.model),
      `${a.metric} · ${a.rule}`,
      String(a.description),
      `${a.first_at} → ${a.last_at}`,
    ]),
  };
}

/** A table as HTML; `cell` may wrap a cell's escaped text (a link, a class). */
export function tableHtml(
  t: Table,
  empty: string,
  cell?: (row: number, col: number, html: string) => string,
): string {
  if (t.rows.length === 0) return `<p>${escapeXml(empty)}</p>`;
  const head = t.header.map((h) => `<th>${escapeXml(h)}</th>`).join("");
  const body = t.rows.map((r, i) =>
    `<tr>${r.map((c, j) => `<td>${cell ? cell(i, j, escapeXml(c)) : escapeXml(c)}</td>`).join("")}</tr>`
  );
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body.join("\n")}\n</tbody></table>`;
}
