/**
 * The post-assembly Final Test layouts of docs/domain.md ("Final Test files"): the standard file (sheet
 * `Sheet1`, no header row, A measured, B index, C theory, D error, E position, G/H limits, test results in
 * K/L) and the `Rout_` file (sheet `Data`: A measured, B position, C index, D error, E/F limits).
 * Details where docs/domain.md is silent follow upstream's description (../shared/upstream-spec.md §1.6).
 */
import type { WorkbookReader } from "../readers/workbook.ts";
import {
  cellAt,
  excelSerialToDate,
  isMissing,
  metaNumber,
  newStage,
  numberOf,
  readGrid,
  type SheetGrid,
  type StageData,
  textOf,
} from "./columns.ts";

export type FinalTestFormat = "standard" | "rout";

/** One Final Test track: its points (in ascending position) and what the test bench wrote about it. */
export interface FinalTestTrack {
  trackId: string;
  points: StageData;
  /** The column the positions came from (`E` normally; another one when E holds no positions). */
  positionColumn: string;
  /** The offset the bench applied to the errors (standard files, M4). */
  compensation: number | null;
  /** The bench's own linearity verdict (`PASSED`/`FAILED`), when it wrote one. */
  reportedLinearity: string | null;
  /** Every test name → result pair the bench wrote (K2:L10), e.g. `{"Resistance": "PASSED"}`. */
  reportedTests: Record<string, string>;
}

export interface ParsedFinalTest {
  kind: "final_test";
  format: FinalTestFormat;
  tracks: FinalTestTrack[];
  /** Model and serial as written in the sheet, used when the file name has none. */
  modelCell: string | null;
  serialCell: string | null;
  /** The test's date and time from the sheet (N1), when there is one. */
  sheetDate: Date | null;
}

/**
 * Which Final Test layout a workbook has, from its name, path and sheets; `null` when it is not one.
 * `headerCell` reads `Sheet1`!L1 only when the names leave it open.
 */
export async function detectFinalTest(
  fileName: string,
  path: string,
  sheetNames: readonly string[],
  headerCell: () => Promise<unknown>,
): Promise<FinalTestFormat | null> {
  const lower = new Set(sheetNames.map((s) => s.trim().toLowerCase()));
  const name = fileName.toLowerCase();
  if (name.startsWith("rout_") || (lower.has("data") && lower.has("charts"))) return "rout";
  if (!lower.has("sheet1")) return null;
  if (
    /\bfinal\s+\d/.test(name) || /_(redundant|primary)_/.test(name) ||
    path.toLowerCase().includes("test station") || lower.has("data table")
  ) return "standard";
  // The bench writes "TEST RESULTS DATA FOR MODEL 1081313 …" in L1.
  const l1 = await headerCell();
  return typeof l1 === "string" && /\d/.test(l1) ? "standard" : null;
}

/** The sheet a layout reads. */
export function finalTestSheet(format: FinalTestFormat, sheetNames: readonly string[]): string | undefined {
  const want = format === "rout" ? "data" : "sheet1";
  return sheetNames.find((s) => s.trim().toLowerCase() === want) ?? sheetNames[0];
}

const STANDARD = { measured: 0, index: 1, theory: 2, error: 3, position: 4, upper: 6, lower: 7 };
const ROUT = { measured: 0, index: 2, theory: -1, error: 3, position: 1, upper: 4, lower: 5 };
const COLUMN_LETTERS = "ABCDEFGHIJKLMNOP";

/** Reads a Final Test workbook of the given format; a sheet without data gives no track. */
export async function parseFinalTest(
  book: WorkbookReader,
  format: FinalTestFormat,
): Promise<ParsedFinalTest> {
  const sheet = finalTestSheet(format, book.sheetNames)!;
  const grid = await readGrid(book, sheet, 16);
  const result: ParsedFinalTest = {
    kind: "final_test",
    format,
    tracks: [],
    modelCell: null,
    serialCell: null,
    sheetDate: null,
  };
  const cols = format === "rout" ? ROUT : STANDARD;
  const start = dataStart(grid, cols);
  if (format === "standard") {
    const header = cellAt(grid, 0, 11);
    result.modelCell = typeof header === "string" ? /\d{6,7}/.exec(header)?.[0] ?? null : null;
    result.serialCell = textOf(cellAt(grid, 0, 12));
    result.sheetDate = dateOf(cellAt(grid, 0, 13));
  }
  if (start < 0) return result;
  const positionCol = format === "rout" ? cols.position : choosePositionColumn(grid, start, cols);
  const points = extractPoints(grid, start, { ...cols, position: positionCol });
  if (points.position.length === 0) return result;
  const reportedTests = format === "standard" ? testResults(grid) : {};
  const linearity = Object.entries(reportedTests).find(([k]) => /^linearity/i.test(k))?.[1] ?? null;
  result.tracks.push({
    trackId: "TRK1",
    points,
    positionColumn: COLUMN_LETTERS[positionCol],
    compensation: format === "standard" ? metaNumber(grid, 3, 12) : null,
    reportedLinearity: linearity,
    reportedTests,
  });
  return result;
}

/** The first of the first 10 rows where the measured volts and the second column are both numbers. */
function dataStart(grid: SheetGrid, cols: typeof STANDARD): number {
  const second = cols === ROUT ? cols.position : cols.index;
  for (let r = 0; r < 10 && r <= grid.lastRow; r++) {
    if (typeof cellAt(grid, r, cols.measured) === "number" && typeof cellAt(grid, r, second) === "number") {
      return r;
    }
  }
  return -1;
}

const near = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && Math.abs(a - b) <= 1e-4;

/**
 * Some benches write junk in E (the error again, a constant, text): then F, then the first of I…P that
 * rises over its first five values, then the index column (upstream-spec.md §1.6).
 */
function choosePositionColumn(grid: SheetGrid, start: number, cols: typeof STANDARD): number {
  const rows = Array.from({ length: 10 }, (_, i) => start + i).filter((r) => r <= grid.lastRow);
  const values = (c: number) => rows.map((r) => numberOf(cellAt(grid, r, c)));
  const errors = values(cols.error);
  const e = values(cols.position);
  const numeric = e.filter((v) => v !== undefined).length;
  const sameAsError = e.filter((v, i) => near(v, errors[i])).length;
  const constant = e.filter((v) => near(v, e[0])).length;
  if (numeric > rows.length - 5 && sameAsError < 5 && constant < 7) return cols.position;
  const f = values(5);
  if (f.filter((v) => v !== undefined).length >= 5 && f.filter((v, i) => near(v, errors[i])).length < 3) {
    return 5;
  }
  for (let c = 8; c < 16; c++) {
    const v = values(c).filter((x): x is number => x !== undefined).slice(0, 5);
    if (v.length === 5 && v.every((x, i) => i === 0 || x > v[i - 1])) return c;
  }
  return cols.index;
}

/**
 * The data rows: from the start while the measured column holds numbers. A row without a measurement (the
 * bench lists the index of unmeasured points) or without a position is skipped; text in the measured
 * column ends the data.
 */
function extractPoints(grid: SheetGrid, start: number, cols: typeof STANDARD): StageData {
  const rows: number[] = [];
  let skipped = 0;
  for (let r = start; r <= grid.lastRow; r++) {
    const measured = cellAt(grid, r, cols.measured);
    if (isMissing(measured)) {
      if (numberOf(cellAt(grid, r, cols.index)) !== undefined) skipped++;
      continue;
    }
    if (numberOf(measured) === undefined) break;
    if (numberOf(cellAt(grid, r, cols.position)) === undefined) {
      skipped++;
      continue;
    }
    rows.push(r);
  }
  const errorCells = rows.map((r) => numberOf(cellAt(grid, r, cols.error)));
  const useErrorColumn = errorCells.filter((e) => e !== undefined).length >= 0.9 * rows.length;
  const measuredOf = (r: number) => numberOf(cellAt(grid, r, cols.measured))!;
  const positionOf = (r: number) => numberOf(cellAt(grid, r, cols.position))!;
  const theoryOf = (r: number) => cols.theory < 0 ? undefined : numberOf(cellAt(grid, r, cols.theory));
  let errors: number[];
  if (useErrorColumn) {
    errors = errorCells.map((e) => e ?? 0);
  } else if (cols.theory >= 0 && rows.every((r) => theoryOf(r) !== undefined)) {
    errors = rows.map((r) => measuredOf(r) - theoryOf(r)!);
  } else {
    errors = fitResiduals(rows.map(positionOf), rows.map(measuredOf));
  }
  // Benches that sweep downwards write descending positions; the analysis wants them ascending.
  const order = rows.map((_, i) => i).sort((a, b) => positionOf(rows[a]) - positionOf(rows[b]));
  const stage = newStage(grid.name, rows.length);
  stage.skippedRows = skipped;
  const value = (r: number, c: number) => c < 0 ? NaN : numberOf(cellAt(grid, r, c)) ?? NaN;
  order.forEach((i, k) => {
    const r = rows[i];
    stage.rowIndex[k] = r;
    stage.position[k] = positionOf(r);
    stage.error[k] = errors[i];
    stage.upper[k] = value(r, cols.upper);
    stage.lower[k] = value(r, cols.lower);
    stage.measured[k] = measuredOf(r);
    stage.theory[k] = value(r, cols.theory);
    stage.index[k] = value(r, cols.index);
  });
  return stage;
}

/** Residuals of the least-squares line y ~ x: the linearity error when the bench wrote none. */
function fitResiduals(x: number[], y: number[]): number[] {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return y.map((v, i) => v - (my + slope * (x[i] - mx)));
}

/** K2:L10: test name in K, `PASSED`/`FAILED` in L. */
function testResults(grid: SheetGrid): Record<string, string> {
  const out: Record<string, string> = {};
  for (let r = 1; r <= 9; r++) {
    const name = cellAt(grid, r, 10);
    const result = cellAt(grid, r, 11);
    if (typeof name === "string" && typeof result === "string" && /^(passed|failed)$/i.test(result.trim())) {
      out[name.trim().replace(/\s*(test)?\s*:?\s*$/i, "")] = result.trim().toUpperCase();
    }
  }
  return out;
}

/** N1: an Excel date serial, or text such as `3/16/2011 12:17:00 PM`. */
function dateOf(cell: unknown): Date | null {
  if (typeof cell === "number" && cell > 1 && cell < 200_000) return excelSerialToDate(cell);
  if (typeof cell === "string") {
    const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?)?/i.exec(
      cell.trim(),
    );
    if (m) {
      let hour = Number(m[4] ?? 0) % 12;
      if (!m[7] && m[4]) hour = Number(m[4]);
      if (m[7]?.toUpperCase() === "PM") hour += 12;
      return new Date(
        Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]), hour, Number(m[5] ?? 0), Number(m[6] ?? 0)),
      );
    }
  }
  return null;
}
