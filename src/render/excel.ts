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

/**
 * Test dates are the stations' own wall-clock times (the plant's zone, no offset stored). Excel keeps dates
 * without a zone, so they are written as that same wall-clock time and filter and sort as dates.
 */
const DATE_FORMAT = "yyyy-mm-dd hh:mm";

/** Printed on A4 or Letter: landscape, every column on one page's width, the header row on every page. */
const PAGE_SETUP = {
  orientation: "landscape",
  fitToPage: true,
  fitToWidth: 1,
  fitToHeight: 0,
  printTitlesRow: "1:1",
} as const;

/** A wall-clock timestamp from DuckDB (epoch ms of the naive time) as the Date exceljs writes as that time. */
const wallClock = (ms: unknown) => ms === null || ms === undefined ? null : new Date(Number(ms));

const STATUS_FILL: Record<string, string> = {
  PASS: "FFC8E6C9",
  WARNING: "FFFFE0B2",
  FAIL: "FFFFCDD2",
  ERROR: "FFE0E0E0",
};

/** Key, header, width and number format of each column of the Tracks sheet. */
const TRACK_COLUMNS: ReadonlyArray<readonly [string, string, number, string?]> = [
  ["file_id", "file id", 8, "0"],
  ["file_name", "file", 44],
  ["model", "model", 12],
  ["serial", "serial", 10],
  ["test_date", "test date", 17, DATE_FORMAT],
  ["track_id", "track", 7],
  ["overall_status", "status", 9],
  ["status_reason", "reason", 40],
  ["n_points", "points", 7, "0"],
  ["sigma_gradient", "sigma gradient", 14, "0.000000"],
  ["sigma_threshold", "sigma threshold", 14, "0.000000"],
  ["linearity_spec", "linearity spec", 13, "0.0000"],
  ["optimal_offset", "offset", 11, "0.000000"],
  ["linearity_error", "linearity error", 14, "0.000000"],
  ["fail_points", "fail points", 10, "0"],
  ["margin_to_spec", "margin %", 9, "0.0"],
  ["resistance_change_pct", "ΔR %", 8, "0.00"],
  ["failure_probability", "risk p", 7, "0.00"],
  ["risk_category", "risk", 8],
  ["offset_search", "offset search", 12],
];

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

  const summary = workbook.addWorksheet("Summary", {
    views: [{ state: "frozen", ySplit: 1 }],
    pageSetup: PAGE_SETUP,
  });
  summary.columns = [
    { header: "model", key: "model", width: 14 },
    { header: "tracks", key: "tracks", width: 9 },
    { header: "pass rate", key: "pass_rate", width: 10, style: { numFmt: "0.0%" } },
    { header: "sigma pass rate", key: "sigma_pass_rate", width: 15, style: { numFmt: "0.0%" } },
    { header: "near misses", key: "near_misses", width: 11 },
    { header: "first test", key: "first", width: 17, style: { numFmt: DATE_FORMAT } },
    { header: "last test", key: "last", width: 17, style: { numFmt: DATE_FORMAT } },
  ];
  summary.getRow(1).font = bold;
  for (
    const r of await db.rows(
      `SELECT model, count(*) AS tracks, avg((overall_status = 'PASS')::INTEGER) AS pass_rate,
              avg(sigma_pass::INTEGER) AS sigma_pass_rate, count(*) FILTER (WHERE near_miss) AS near_misses,
              epoch_ms(min(test_date)) AS first, epoch_ms(max(test_date)) AS last
       FROM v_tracks WHERE ${filter.sql} GROUP BY model ORDER BY model`,
      filter.params,
    )
  ) {
    const row = summary.addRow({
      ...r,
      tracks: Number(r.tracks),
      near_misses: Number(r.near_misses),
      first: wallClock(r.first),
      last: wallClock(r.last),
    });
    if (looksLikeFormula(r.model)) row.getCell("model").numFmt = "@";
    row.commit();
  }
  summary.commit();

  const sheet = workbook.addWorksheet("Tracks", {
    views: [{ state: "frozen", ySplit: 1 }],
    pageSetup: PAGE_SETUP,
  });
  sheet.columns = TRACK_COLUMNS.map(([key, header, width, numFmt]) => ({
    key,
    header,
    width,
    ...(numFmt ? { style: { numFmt } } : {}),
  }));
  sheet.getRow(1).font = bold;
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: TRACK_COLUMNS.length } };
  let count = 0;
  await db.eachChunk(
    `SELECT ${
      TRACK_COLUMNS.map((
        [k],
      ) => (k === "test_date" ? "epoch_ms(test_date) AS test_date" : k)).join(", ")
    }
     FROM v_tracks WHERE ${filter.sql} ORDER BY test_date, file_id, track_id`,
    filter.params,
    (chunk) => {
      const vectors = chunk.columnNames.map((_, c) => chunk.column(c));
      for (let i = 0; i < chunk.rowCount; i++) {
        const values = Object.fromEntries(
          chunk.columnNames.map((k, c) => [k, plainValue(vectors[c].getItem(i))]),
        );
        values.test_date = wallClock(values.test_date);
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
