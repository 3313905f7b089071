/**
 * The engineers' Excel export: a summary sheet per model and a sheet of tracks, written with exceljs's
 * streaming writer (rows are committed as they are read, never all held). Headers are frozen, verdicts
 * coloured, and text that Excel could take for a formula (`=`, `+`, `-`, `@` first) is stored as text.
 */
import ExcelJS from "exceljs";
import type { Queryable as Database } from "../db/database.ts";
import { plainValue } from "../db/values.ts";

export interface ExportOptions {
  out: string;
  model?: string;
  /** Tracks tested on or after this date, `YYYY-MM-DD`. */
  since?: string;
}

const STATUS_FILL: Record<string, string> = {
  PASS: "FFC8E6C9",
  WARNING: "FFFFE0B2",
  FAIL: "FFFFCDD2",
  ERROR: "FFE0E0E0",
};

const TRACK_COLUMNS = [
  ["file_id", "file id", 8],
  ["file_name", "file", 44],
  ["model", "model", 12],
  ["serial", "serial", 10],
  ["test_date", "test date", 19],
  ["track_id", "track", 7],
  ["overall_status", "status", 9],
  ["status_reason", "reason", 40],
  ["n_points", "points", 7],
  ["sigma_gradient", "sigma gradient", 14],
  ["sigma_threshold", "sigma threshold", 14],
  ["linearity_spec", "linearity spec", 13],
  ["optimal_offset", "offset", 11],
  ["linearity_error", "linearity error", 14],
  ["fail_points", "fail points", 10],
  ["margin_to_spec", "margin %", 9],
  ["resistance_change_pct", "ΔR %", 8],
  ["failure_probability", "risk p", 7],
  ["risk_category", "risk", 8],
  ["offset_search", "offset search", 12],
] as const;

/** Text that a spreadsheet would evaluate if typed in; such values keep the text number format. */
function looksLikeFormula(v: unknown): boolean {
  return typeof v === "string" && /^[=+\-@]/.test(v);
}

function where(options: ExportOptions): { sql: string; params: string[] } {
  const clauses = ["true"];
  const params: string[] = [];
  if (options.model) {
    params.push(options.model);
    clauses.push(`model = $${params.length}`);
  }
  if (options.since) {
    params.push(options.since);
    clauses.push(`test_date >= $${params.length}::DATE`);
  }
  return { sql: clauses.join(" AND "), params };
}

/** Writes the export; returns the number of track rows. */
export async function exportExcel(db: Database, options: ExportOptions): Promise<number> {
  const filter = where(options);
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: options.out, useStyles: true });
  const bold = { bold: true };

  const summary = workbook.addWorksheet("Summary", { views: [{ state: "frozen", ySplit: 1 }] });
  summary.columns = [
    { header: "model", key: "model", width: 14 },
    { header: "tracks", key: "tracks", width: 9 },
    { header: "pass rate", key: "pass_rate", width: 10, style: { numFmt: "0.0%" } },
    { header: "sigma pass rate", key: "sigma_pass_rate", width: 15, style: { numFmt: "0.0%" } },
    { header: "near misses", key: "near_misses", width: 11 },
    { header: "first test", key: "first", width: 19 },
    { header: "last test", key: "last", width: 19 },
  ];
  summary.getRow(1).font = bold;
  for (
    const r of await db.rows(
      `SELECT model, count(*) AS tracks, avg((overall_status = 'PASS')::INTEGER) AS pass_rate,
              avg(sigma_pass::INTEGER) AS sigma_pass_rate, count(*) FILTER (WHERE near_miss) AS near_misses,
              strftime(min(test_date), '%Y-%m-%d %H:%M') AS first, strftime(max(test_date), '%Y-%m-%d %H:%M') AS last
       FROM v_tracks WHERE ${filter.sql} GROUP BY model ORDER BY model`,
      filter.params,
    )
  ) {
    const row = summary.addRow({ ...r, tracks: Number(r.tracks), near_misses: Number(r.near_misses) });
    if (looksLikeFormula(r.model)) row.getCell("model").numFmt = "@";
    row.commit();
  }
  summary.commit();

  const sheet = workbook.addWorksheet("Tracks", { views: [{ state: "frozen", ySplit: 1 }] });
  sheet.columns = TRACK_COLUMNS.map(([key, header, width]) => ({ key, header, width }));
  sheet.getRow(1).font = bold;
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: TRACK_COLUMNS.length } };
  let count = 0;
  await db.eachChunk(
    `SELECT ${
      TRACK_COLUMNS.map((
        [k],
      ) => (k === "test_date" ? "strftime(test_date, '%Y-%m-%d %H:%M') AS test_date" : k)).join(", ")
    }
     FROM v_tracks WHERE ${filter.sql} ORDER BY test_date, file_id, track_id`,
    filter.params,
    (chunk) => {
      const vectors = chunk.columnNames.map((_, c) => chunk.column(c));
      for (let i = 0; i < chunk.rowCount; i++) {
        const values = Object.fromEntries(
          chunk.columnNames.map((k, c) => [k, plainValue(vectors[c].getItem(i))]),
        );
        const row = sheet.addRow(values);
        for (const [key] of TRACK_COLUMNS) {
          if (looksLikeFormula(values[key])) row.getCell(key).numFmt = "@";
        }
        const fill = STATUS_FILL[String(values.overall_status)];
        if (fill) {
          row.getCell("overall_status").fill = {
            type: "pattern",
            pattern: "solid",
            fgColor: { argb: fill },
          };
        }
        row.commit();
        count++;
      }
    },
  );
  sheet.commit();
  await workbook.commit();
  return count;
}
