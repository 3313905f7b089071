/**
 * The Excel export's further sheets: SPC alarm episodes and process capability over the exported range,
 * so a reviewer sees what went out of control and how capable each model was beside the tracks.
 */
import type ExcelJS from "exceljs";
import type { Queryable as Database } from "../db/database.ts";
import { capability } from "../analyze/capability.ts";

/** Key, header, width and number format of a column. */
export type SheetColumn = readonly [string, string, number, string?];

/** A sheet with a bold, frozen, filterable header that prints landscape one page wide. */
export function addSheet(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  name: string,
  columns: ReadonlyArray<SheetColumn>,
): ExcelJS.Worksheet {
  const sheet = workbook.addWorksheet(name, {
    views: [{ state: "frozen", ySplit: 1 }],
    pageSetup: PAGE_SETUP,
  });
  sheet.columns = columns.map(([key, header, width, numFmt]) => ({
    key,
    header,
    width,
    ...(numFmt ? { style: { numFmt } } : {}),
  }));
  sheet.getRow(1).font = { bold: true };
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };
  return sheet;
}

/**
 * Test dates are the stations' own wall-clock times (the plant's zone, no offset stored). Excel keeps dates
 * without a zone, so they are written as that same wall-clock time and filter and sort as dates.
 */
export const DATE_FORMAT = "yyyy-mm-dd hh:mm";

/** Printed on A4 or Letter: landscape, every column on one page's width, the header row on every page. */
export const PAGE_SETUP = {
  orientation: "landscape",
  fitToPage: true,
  fitToWidth: 1,
  fitToHeight: 0,
  printTitlesRow: "1:1",
} as const;

/** A wall-clock timestamp from DuckDB (epoch ms of the naive time) as the Date exceljs writes as that time. */
export const wallClock = (ms: unknown) => ms === null || ms === undefined ? null : new Date(Number(ms));

/** Which rows a sheet holds: a model, and test dates from `since` through `until` (both days included). */
export interface SheetRange {
  model?: string;
  /** Only files from this station (`files.station`). */
  station?: string;
  since?: string;
  until?: string;
}

const ALARM_COLUMNS: ReadonlyArray<SheetColumn> = [
  ["alarm_id", "alarm", 7, "0"],
  ["model", "model", 12],
  ["track_id", "track", 7],
  ["metric", "metric", 16],
  ["rule", "rule", 10],
  ["description", "description", 48],
  ["first_at", "first point", 17, DATE_FORMAT],
  ["last_at", "last point", 17, DATE_FORMAT],
  ["points", "points", 7, "0"],
  ["acknowledged_by", "acknowledged by", 16],
  ["acknowledged_at", "acknowledged", 17, DATE_FORMAT],
  ["assignable_cause", "assignable cause", 40],
];

/** Open alarms are shaded: they still wait for an assignable cause. */
const OPEN_FILL = { type: "pattern", pattern: "solid", fgColor: { argb: "FFFFE0B2" } } as const;

/** The SPC alarm episodes that overlap the range, oldest first. */
export async function writeAlarms(
  db: Database,
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  range: SheetRange,
): Promise<number> {
  const sheet = addSheet(workbook, "Alarms", ALARM_COLUMNS);
  const rows = await db.rows(
    `SELECT alarm_id, model, track_id, metric, rule, description, epoch_ms(first_at) AS first_at,
            epoch_ms(last_at) AS last_at, points, acknowledged_by, epoch_ms(acknowledged_at) AS acknowledged_at,
            assignable_cause
     FROM spc_alarms
     WHERE ($1::VARCHAR IS NULL OR model = $1) AND ($2::VARCHAR IS NULL OR last_at >= $2::DATE)
       AND ($3::VARCHAR IS NULL OR first_at < $3::DATE + 1) AND ($4::VARCHAR IS NULL OR station = $4)
     ORDER BY first_at, alarm_id`,
    [range.model ?? null, range.since ?? null, range.until ?? null, range.station ?? null],
  );
  for (const r of rows) {
    const row = sheet.addRow({
      ...r,
      alarm_id: Number(r.alarm_id),
      points: Number(r.points),
      first_at: wallClock(r.first_at),
      last_at: wallClock(r.last_at),
      acknowledged_at: wallClock(r.acknowledged_at),
    });
    if (r.acknowledged_at === null) row.getCell("alarm_id").fill = OPEN_FILL;
    row.commit();
  }
  sheet.commit();
  return rows.length;
}

const CAPABILITY_COLUMNS: ReadonlyArray<SheetColumn> = [
  ["model", "model", 12],
  ["metric", "metric", 16],
  ["n", "tracks", 8, "0"],
  ["mean", "mean", 12, "0.000000"],
  ["sigma_within", "σ within", 12, "0.000000"],
  ["sigma_overall", "σ overall", 12, "0.000000"],
  ["lsl", "LSL", 11, "0.000000"],
  ["usl", "USL", 11, "0.000000"],
  ["cp", "Cp", 8, "0.00"],
  ["cpk", "Cpk", 8, "0.00"],
  ["cpk_ci_low", "Cpk 95% low", 12, "0.00"],
  ["cpk_ci_high", "Cpk 95% high", 12, "0.00"],
  ["pp", "Pp", 8, "0.00"],
  ["ppk", "Ppk", 8, "0.00"],
  ["sides", "limits", 8],
  ["ppm_above_observed", "PPM above observed", 12, "0"],
  ["ppm_above_expected", "PPM above expected", 12, "0"],
  ["beyond_control_limits", "beyond 3σ", 10, "0"],
  ["normality_p", "normality p (AD)", 12, "0.000"],
  ["rating", "rating", 40],
  ["notes", "notes", 60],
  ["near_misses", "near misses", 11, "0"],
];

/** Capability per model and metric over the range; fewer than `minN` tracks are not rated. */
export async function writeCapability(
  db: Database,
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  range: SheetRange & { minN: number },
): Promise<number> {
  const sheet = addSheet(workbook, "Capability", CAPABILITY_COLUMNS);
  const rows = await capability(db, range);
  for (const r of rows) sheet.addRow({ ...r, notes: r.notes.join("; ") }).commit();
  sheet.commit();
  return rows.length;
}
