/**
 * The engineers' Excel export: a summary per model, the tracks, the SPC alarms and the capability of the
 * range, written with exceljs's streaming writer (rows are committed as they are read, never all held).
 * Headers are frozen, verdicts coloured, and text that Excel could take for a formula (`=`, `+`, `-`, `@`
 * first) is stored as text.
 */
import ExcelJS from "exceljs";
import type { Queryable as Database } from "../db/database.ts";
import { plainValue } from "../db/values.ts";
import {
  addSheet,
  DATE_FORMAT,
  type SheetColumn,
  type SheetRange,
  wallClock,
  writeAlarms,
  writeCapability,
} from "./excel_sheets.ts";

export interface ExportOptions extends SheetRange {
  out: string;
  /** Fewer tracks than this get no capability rating (`capabilityMinN`). */
  capabilityMinN: number;
}

const STATUS_FILL: Record<string, string> = {
  PASS: "FFC8E6C9",
  WARNING: "FFFFE0B2",
  FAIL: "FFFFCDD2",
  ERROR: "FFE0E0E0",
};

/** Key, header, width and number format of each column of the Tracks sheet. */
const TRACK_COLUMNS: ReadonlyArray<SheetColumn> = [
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

function where(options: SheetRange): { sql: string; params: string[] } {
  const clauses = ["true"];
  const params: string[] = [];
  if (options.model) {
    params.push(options.model);
    clauses.push(`model = $${params.length}`);
  }
  if (options.station) {
    params.push(options.station);
    clauses.push(`station = $${params.length}`);
  }
  if (options.since) {
    params.push(options.since);
    clauses.push(`test_date >= $${params.length}::DATE`);
  }
  if (options.until) {
    params.push(options.until);
    clauses.push(`test_date < $${params.length}::DATE + 1`);
  }
  return { sql: clauses.join(" AND "), params };
}

/** Writes the export; returns the number of track rows. */
export async function exportExcel(db: Database, options: ExportOptions): Promise<number> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: options.out, useStyles: true });
  await writeSummary(db, workbook, options);
  const tracks = await writeTracks(db, workbook, options);
  await writeAlarms(db, workbook, options);
  await writeCapability(db, workbook, { ...options, minN: options.capabilityMinN });
  await workbook.commit();
  return tracks;
}

const SUMMARY_COLUMNS: ReadonlyArray<SheetColumn> = [
  ["model", "model", 14],
  ["tracks", "tracks", 9, "0"],
  ["pass_rate", "pass rate", 10, "0.0%"],
  ["sigma_pass_rate", "sigma pass rate", 15, "0.0%"],
  ["near_misses", "near misses", 11, "0"],
  ["first", "first test", 17, DATE_FORMAT],
  ["last", "last test", 17, DATE_FORMAT],
];

/** One row per model: tracks, pass rates, near misses, first and last test. */
async function writeSummary(db: Database, workbook: ExcelJS.stream.xlsx.WorkbookWriter, range: SheetRange) {
  const filter = where(range);
  const summary = addSheet(workbook, "Summary", SUMMARY_COLUMNS);
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
}

/** Every track of the range, oldest first, its verdict shaded; returns how many. */
async function writeTracks(
  db: Database,
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  range: SheetRange,
): Promise<number> {
  const filter = where(range);
  const sheet = addSheet(workbook, "Tracks", TRACK_COLUMNS);
  let count = 0;
  const select = TRACK_COLUMNS.map(([k]) => k === "test_date" ? "epoch_ms(test_date) AS test_date" : k);
  await db.eachChunk(
    `SELECT ${select.join(", ")} FROM v_tracks WHERE ${filter.sql} ORDER BY test_date, file_id, track_id`,
    filter.params,
    (chunk) => {
      const vectors = chunk.columnNames.map((_, c) => chunk.column(c));
      for (let i = 0; i < chunk.rowCount; i++) {
        const values = Object.fromEntries(
          chunk.columnNames.map((k, c) => [k, plainValue(vectors[c].getItem(i))]),
        );
        values.test_date = wallClock(values.test_date);
        trackRow(sheet, values);
        count++;
      }
    },
  );
  sheet.commit();
  return count;
}

function trackRow(sheet: ExcelJS.Worksheet, values: Record<string, unknown>): void {
  const row = sheet.addRow(values);
  for (const [key] of TRACK_COLUMNS) {
    if (looksLikeFormula(values[key])) row.getCell(key).numFmt = "@";
  }
  const fill = STATUS_FILL[String(values.overall_status)];
  if (fill) {
    row.getCell("overall_status").fill = { type: "pattern", pattern: "solid", fgColor: { argb: fill } };
  }
  row.commit();
}
