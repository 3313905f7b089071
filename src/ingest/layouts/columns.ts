/**
 * The column-reading rules shared by both station layouts (domain.md "Reading the columns"): where data
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
    }
  }
}

/** Reads one sheet's first `maxColumns` columns (at most 64). */
export async function readGrid(book: WorkbookReader, sheet: string, maxColumns = 26): Promise<SheetGrid> {
  const grid = new SheetGrid(sheet);
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

/** The points of one stage of one track, in sheet order. */
export interface StageData {
  sheet: string;
  rowIndex: number[];
  position: number[];
  error: number[];
  upper: Array<number | null>;
  lower: Array<number | null>;
  measured: Array<number | null>;
  theory: Array<number | null>;
  index: Array<number | null>;
  /** Rows below the data start with a position or error value that did not become a point. */
  skippedRows: number;
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

  const position: number[] = [];
  for (let r = start;; r++) {
    const p = numberOf(cellAt(grid, r, cols.position));
    if (p === undefined) break;
    position.push(p);
  }

  const error = readErrors(grid, cols.error, start, zeroFillErrors);
  if (error.length < position.length) {
    for (let r = start + error.length; r < start + position.length; r++) {
      const m = numberOf(cellAt(grid, r, cols.measured));
      const t = numberOf(cellAt(grid, r, cols.theory));
      if (m === undefined || t === undefined) break;
      error.push(m - t);
    }
  }
  const n = Math.min(position.length, error.length);
  position.length = n;
  error.length = n;

  const stage: StageData = {
    sheet: grid.name,
    rowIndex: [],
    position,
    error,
    upper: [],
    lower: [],
    measured: [],
    theory: [],
    index: [],
    skippedRows: 0,
  };
  for (let i = 0; i < n; i++) {
    const r = start + i;
    stage.rowIndex.push(r);
    stage.upper.push(numberOf(cellAt(grid, r, cols.upper)) ?? null);
    stage.lower.push(numberOf(cellAt(grid, r, cols.lower)) ?? null);
    stage.measured.push(numberOf(cellAt(grid, r, cols.measured)) ?? null);
    stage.theory.push(numberOf(cellAt(grid, r, cols.theory)) ?? null);
    stage.index.push(numberOf(cellAt(grid, r, cols.index)) ?? null);
  }
  for (let r = start + n; r <= grid.lastRow; r++) {
    if (!isMissing(cellAt(grid, r, cols.position)) || !isMissing(cellAt(grid, r, cols.error))) {
      stage.skippedRows++;
    }
  }
  return stage;
}

function readErrors(grid: SheetGrid, col: number, start: number, zeroFill: boolean): number[] {
  const out: number[] = [];
  let blanks = 0;
  for (let r = start; r <= grid.lastRow; r++) {
    const cell = cellAt(grid, r, col);
    if (isMissing(cell)) {
      if (!zeroFill) break;
      blanks++;
      if (blanks > MAX_BLANK_ERRORS) {
        out.length -= blanks - 1;
        break;
      }
      out.push(0);
      continue;
    }
    const e = numberOf(cell);
    if (e === undefined) break;
    blanks = 0;
    out.push(e);
  }
  return out;
}
