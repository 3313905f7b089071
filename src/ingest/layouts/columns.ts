/**
 * The column-reading rules shared by both station layouts (docs/domain.md "Reading the columns"): where data
 * start, where they end, what a blank or a text cell means, and how errors are recovered.
 */
import type { CellValue, SheetRow, WorkbookReader } from "../readers/workbook.ts";

/** Text that upstream's reader took for a missing value. */
const NA_TOKENS = new Set([
  "",
  "nan",
  "-nan",
  "na",
  "n/a",
  "#n/a",
  "#na",
  "null",
  "none",
  "<na>",
  "1.#qnan",
  "-1.#qnan",
  "1.#ind",
  "-1.#ind",
  "#n/a n/a",
]);
const NUMERIC_TEXT = /^[+-]?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|inf(?:inity)?)$/i;

/** True for a blank cell, an Excel error cell, or NA text such as `NaN` or `#N/A`. */
export function isMissing(cell: CellValue | undefined): boolean {
  return cell === null || cell === undefined ||
    (typeof cell === "string" && NA_TOKENS.has(cell.trim().toLowerCase()));
}

/** The number a cell holds (numeric text included), or `undefined` for missing or non-numeric cells. */
export function numberOf(cell: CellValue | undefined): number | undefined {
  if (typeof cell === "number") return Number.isNaN(cell) ? undefined : cell;
  if (typeof cell === "string" && !isMissing(cell)) {
    const t = cell.trim();
    if (NUMERIC_TEXT.test(t)) return /inf/i.test(t) ? (t.startsWith("-") ? -Infinity : Infinity) : Number(t);
  }
  return undefined;
}

/**
 * One sheet's cells, held by column: a `Float64Array` per column that holds numbers, and the few text,
 * boolean and NaN cells aside. A million-row data sheet then costs 8 bytes per numeric cell, not a JS
 * array per row (measured: a 1M-row sheet went from ~1 GB of RSS to a fraction of it).
 */
export class SheetGrid {
  /** The last row holding any non-blank cell (the sheet's used range). */
  lastRow = -1;
  #numbers: Array<Float64Array | undefined> = [];
  #other = new Map<number, CellValue>();
  /** Per column, the last row holding a cell that is not a number (text, a boolean, an error). */
  #lastOtherRow: number[] = [];

  constructor(readonly name: string) {}

  /** The cell at 0-based (row, col); `undefined` when blank. */
  get(row: number, col: number): CellValue | undefined {
    const column = this.#numbers[col];
    if (column && row < column.length) {
      const v = column[row];
      if (!Number.isNaN(v)) return v;
    }
    return this.#other.get(row * 64 + col);
  }

  set(row: number, col: number, value: CellValue): void {
    if (typeof value === "number" && !Number.isNaN(value)) {
      let column = this.#numbers[col];
      if (!column || row >= column.length) {
        const grown = new Float64Array(Math.max(64, 2 ** Math.ceil(Math.log2(row + 1)))).fill(NaN);
        if (column) grown.set(column);
        this.#numbers[col] = column = grown;
      }
      column[row] = value;
    } else if (value !== null) {
      this.#other.set(row * 64 + col, value);
      this.#lastOtherRow[col] = Math.max(this.#lastOtherRow[col] ?? -1, row);
    }
  }

  /** Whether column `col` holds nothing from row `from` on. */
  blankFrom(col: number, from: number): boolean {
    return this.#numbers[col] === undefined && (this.#lastOtherRow[col] ?? -1) < from;
  }

  /**
   * Rows `from`..`from + n - 1` of column `col` as a view of the grid's own array (NaN = blank), when that
   * range holds numbers and blanks only; `null` when a cell there needs converting (numeric text) or the
   * column is blank. A big sheet's stage then shares the grid's memory instead of copying it.
   */
  numberView(col: number, from: number, n: number): Float64Array | null {
    const column = this.#numbers[col];
    if (!column || column.length < from + n || (this.#lastOtherRow[col] ?? -1) >= from) return null;
    return column.subarray(from, from + n);
  }
}

/** Reads one sheet's first `maxColumns` columns (at most 64). */
export async function readGrid(book: WorkbookReader, sheet: string, maxColumns = 26): Promise<SheetGrid> {
  const grid = new SheetGrid(sheet);
  if (book.cells) {
    await book.cells(sheet, {
      cell: (row, col, value) => grid.set(row, col, value),
      rowEnd: (row) => (grid.lastRow = row),
    }, { maxColumns });
    return grid;
  }
  for await (const r of book.rows(sheet, { maxColumns }) as AsyncIterable<SheetRow>) {
    r.cells.forEach((v, c) => grid.set(r.row, c, v));
    grid.lastRow = r.row;
  }
  return grid;
}

/** The cell at 0-based (row, col). */
export function cellAt(grid: SheetGrid, row: number, col: number): CellValue | undefined {
  return grid.get(row, col);
}

/** A metadata cell's finite number (numeric text included), or `null`. */
export function metaNumber(grid: SheetGrid, row: number, col: number): number | null {
  const v = numberOf(cellAt(grid, row, col));
  return v === undefined || !Number.isFinite(v) ? null : v;
}

/** A metadata cell as trimmed text (numbers written out), or `null` when blank. */
export function textOf(cell: unknown): string | null {
  if (typeof cell === "number") return String(cell);
  if (typeof cell === "string" && cell.trim()) return cell.trim();
  return null;
}

/** Excel's 1900 date system: serial 25569 is 1970-01-01. */
export function excelSerialToDate(serial: number | null): Date | null {
  if (serial === null || serial < 1 || serial > 200_000) return null;
  return new Date(Math.round((serial - 25569) * 86_400_000));
}

/** Where each quantity sits in a data sheet. */
export interface ColumnMap {
  measured: number;
  index: number;
  theory: number;
  error: number;
  position: number;
  upper: number;
  lower: number;
}

/**
 * The points of one stage of one track, in sheet order, as typed arrays sized to the points: a
 * million-point stage costs 8 bytes a value and nothing while it is built. A blank cell is NaN.
 */
export interface StageData {
  sheet: string;
  rowIndex: Int32Array;
  position: Float64Array;
  error: Float64Array;
  /** NaN where the sheet has no limit at that point. */
  upper: Float64Array;
  lower: Float64Array;
  measured: Float64Array;
  theory: Float64Array;
  index: Float64Array;
  /** Rows below the data start with a position or error value that did not become a point. */
  skippedRows: number;
  /** The sheet columns the values came from, for messages that name a cell. */
  columns?: ColumnMap;
}

/** An empty stage of `n` points from `sheet`, to be filled in. */
export function newStage(sheet: string, n: number): StageData {
  return {
    sheet,
    rowIndex: new Int32Array(n),
    position: new Float64Array(n),
    error: new Float64Array(n),
    upper: new Float64Array(n),
    lower: new Float64Array(n),
    measured: new Float64Array(n),
    theory: new Float64Array(n),
    index: new Float64Array(n),
    skippedRows: 0,
  };
}

const MAX_BLANK_ERRORS = 10;

/**
 * Extracts a stage by upstream's rules. `zeroFillErrors` is true for the data (trimmed) sheet, where blank
 * errors count as 0.0; the untrimmed comparison sheet stops at its first blank error instead.
 */
export function extractStage(grid: SheetGrid, cols: ColumnMap, zeroFillErrors: boolean): StageData | null {
  let start = -1;
  for (let r = 0; r < 20 && r <= grid.lastRow; r++) {
    if (typeof cellAt(grid, r, cols.position) === "number") {
      start = r;
      break;
    }
  }
  if (start < 0) return null;

  let positions = 0;
  while (numberOf(cellAt(grid, start + positions, cols.position)) !== undefined) positions++;

  // Errors run independently of positions (a blank run may cross the end of the positions).
  const error = new Float64Array(Math.max(positions, grid.lastRow - start + 1));
  let errors = readErrors(grid, cols.error, start, zeroFillErrors, error);
  for (let r = start + errors; errors < positions; r++, errors++) {
    const m = numberOf(cellAt(grid, r, cols.measured));
    const t = numberOf(cellAt(grid, r, cols.theory));
    if (m === undefined || t === undefined) break;
    error[errors] = m - t;
  }
  const n = Math.min(positions, errors);

  const value = (r: number, c: number) => numberOf(cellAt(grid, r, c)) ?? NaN;
  // Columns the sheet leaves blank share one array of NaN (nothing writes to a trim stage's arrays).
  let blank: Float64Array | null = null;
  const column = (c: number) => {
    if (grid.blankFrom(c, start)) return (blank ??= new Float64Array(n).fill(NaN));
    const view = grid.numberView(c, start, n);
    if (view) return view;
    const copy = new Float64Array(n);
    for (let i = 0; i < n; i++) copy[i] = value(start + i, c);
    return copy;
  };
  const rowIndex = new Int32Array(n);
  for (let i = 0; i < n; i++) rowIndex[i] = start + i;
  const stage: StageData = {
    sheet: grid.name,
    rowIndex,
    position: column(cols.position),
    error: error.subarray(0, n),
    upper: column(cols.upper),
    lower: column(cols.lower),
    measured: column(cols.measured),
    theory: column(cols.theory),
    index: column(cols.index),
    skippedRows: 0,
    columns: cols,
  };
  for (let r = start + n; r <= grid.lastRow; r++) {
    if (!isMissing(cellAt(grid, r, cols.position)) || !isMissing(cellAt(grid, r, cols.error))) {
      stage.skippedRows++;
    }
  }
  return stage;
}

/** Writes the error run into `out` (from index 0) by the blank/text rules; returns its length. */
function readErrors(
  grid: SheetGrid,
  col: number,
  start: number,
  zeroFill: boolean,
  out: Float64Array,
): number {
  let length = 0;
  let blanks = 0;
  for (let r = start; r <= grid.lastRow; r++) {
    const cell = cellAt(grid, r, col);
    if (isMissing(cell)) {
      if (!zeroFill) break;
      blanks++;
      if (blanks > MAX_BLANK_ERRORS) {
        length -= blanks - 1;
        break;
      }
      out[length++] = 0;
      continue;
    }
    const e = numberOf(cell);
    if (e === undefined) break;
    blanks = 0;
    out[length++] = e;
  }
  return length;
}
