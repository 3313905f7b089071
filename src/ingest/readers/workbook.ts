/**
 * The reader contract shared by the `.xls` and `.xlsx` readers: a workbook exposes its sheet names and
 * yields one sheet's rows one at a time, so no reader ever builds the whole workbook as objects.
 */

/** One cell's value. Blank cells and Excel error cells (`#N/A`, `#DIV/0!`, …) are `null`. */
export type CellValue = number | string | boolean | null;

/** Receives each non-blank cell, in sheet order, and the end of each row that had one. */
export interface CellSink {
  cell(row: number, col: number, value: Exclude<CellValue, null>): void;
  rowEnd?(row: number): void;
}

/** One row of a sheet: its 0-based row number and its cells by 0-based column (sparse). */
export interface SheetRow {
  readonly row: number;
  readonly cells: CellValue[];
}

/** Options for reading rows. */
export interface RowOptions {
  /** Columns at or past this 0-based index are skipped while decoding (they are never needed). */
  readonly maxColumns?: number;
}

/** A workbook opened for row streaming. */
export interface WorkbookReader {
  readonly format: "xls" | "xlsx";
  /** Worksheet names in workbook order (charts and macro sheets are left out). */
  readonly sheetNames: readonly string[];
  /** Yields the rows of `sheet` in row order; rows without any non-blank cell are not yielded. */
  rows(sheet: string, options?: RowOptions): AsyncIterable<SheetRow>;
  /**
   * Hands every non-blank cell of `sheet` to `sink` without building rows: for readers whose sheets can be
   * big (a million-row `.xlsx`), where a row object per row costs more than the reading.
   */
  cells?(sheet: string, sink: CellSink, options?: RowOptions): Promise<void>;
  /** Releases whatever the reader holds (file handles, decoded string tables). */
  close(): void;
}

/** Reason codes a reader (or the layout stage) gives for a file it cannot take. */
export type ReadErrorCode =
  | "empty_file"
  | "wrong_extension"
  | "corrupt_file"
  | "encrypted"
  | "unsupported_format"
  | "unknown_layout"
  | "no_data"
  /** A point's position or error is infinite or undefined (`ingest/finite.ts`). */
  | "non_finite_value"
  /** Reading took longer than the deadline for a file of its size (`ingest/parse_pool.ts`). */
  | "parse_timeout"
  /** Reading took the process past its memory ceiling. */
  | "too_large";

/** A file lta cannot read; the code travels unchanged to the ledger's `reason_code`. */
export class ReadError extends Error {
  constructor(readonly code: ReadErrorCode, message: string) {
    super(message);
    this.name = "ReadError";
  }
}
