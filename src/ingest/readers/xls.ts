/**
 * Legacy `.xls` (BIFF8) reader: `npm:cfb` opens the compound file; the records of the `Workbook` stream
 * are decoded here, and only those a trim file needs (sheet directory, shared strings, number, RK,
 * label and formula cells). Cells are decoded lazily, one sheet at a time, as rows are asked for.
 */
import CFB from "cfb";
import { Buffer } from "node:buffer";
import {
  type CellValue,
  ReadError,
  type RowOptions,
  type SheetRow,
  type WorkbookReader,
} from "./workbook.ts";
import { biffChars, decodeRk, REC } from "./xls_records.ts";
import { readSharedStrings } from "./xls_sst.ts";

interface SheetEntry {
  name: string;
  offset: number;
}

/** Opens an `.xls` file held in `bytes`; `name` is used in error messages. */
export function openXls(bytes: Uint8Array, name: string): WorkbookReader {
  let stream: Uint8Array;
  try {
    // Given a plain Uint8Array, cfb joins each stream's sectors by pushing every byte onto a JS array (4 MB
    // of heap for a 70 KB trim file, measured); given a Buffer over the same bytes, it uses Buffer.concat.
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const container = CFB.read(buffer, { type: "buffer" });
    const entry = CFB.find(container, "Workbook") ?? CFB.find(container, "Book");
    if (entry?.name === "Book") {
      throw new ReadError(
        "unsupported_format",
        `${name}: BIFF5 (Excel 5/95) workbook; save it as .xls 97-2003`,
      );
    }
    if (CFB.find(container, "EncryptedPackage")) {
      throw new ReadError("encrypted", `${name}: the workbook is password-protected`);
    }
    if (!entry?.content || entry.content.length === 0) {
      throw new ReadError("corrupt_file", `${name}: no Workbook stream in the compound file`);
    }
    stream = entry.content instanceof Uint8Array ? entry.content : Uint8Array.from(entry.content);
  } catch (e) {
    if (e instanceof ReadError) throw e;
    throw new ReadError(
      "corrupt_file",
      `${name}: not a readable .xls compound file (${(e as Error).message})`,
    );
  }
  try {
    return new XlsWorkbook(stream, name);
  } catch (e) {
    if (e instanceof ReadError) throw e;
    // A count or offset that points past the stream (DataView's RangeError): the file is damaged.
    throw new ReadError("corrupt_file", `${name}: the Workbook stream is damaged (${(e as Error).message})`);
  }
}

class XlsWorkbook implements WorkbookReader {
  readonly format = "xls" as const;
  readonly sheetNames: string[] = [];
  #sheets = new Map<string, number>();
  #sst: string[] = [];
  #view: DataView;

  constructor(private stream: Uint8Array, private name: string) {
    this.#view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
    this.#readGlobals();
  }

  #readGlobals(): void {
    const s = this.stream;
    const v = this.#view;
    if (s.length < 8 || v.getUint16(0, true) !== REC.BOF) {
      throw new ReadError(
        "corrupt_file",
        `${this.name}: the Workbook stream does not start with a BOF record`,
      );
    }
    const version = v.getUint16(4, true);
    if (version !== 0x0600) {
      throw new ReadError(
        "unsupported_format",
        `${this.name}: BIFF version 0x${version.toString(16)} is not BIFF8`,
      );
    }
    const sheets: SheetEntry[] = [];
    let pos = 0;
    while (pos + 4 <= s.length) {
      const type = v.getUint16(pos, true);
      const len = v.getUint16(pos + 2, true);
      const body = pos + 4;
      if (body + len > s.length) {
        throw new ReadError(
          "corrupt_file",
          `${this.name}: truncated record at byte ${pos} of the Workbook stream`,
        );
      }
      if (type === REC.FILEPASS) {
        throw new ReadError("encrypted", `${this.name}: the workbook is password-protected`);
      } else if (type === REC.BOUNDSHEET) {
        const offset = v.getUint32(body, true);
        const kind = s[body + 5];
        const [sheetName] = this.#shortString(body + 6);
        if (kind === 0) sheets.push({ name: sheetName, offset });
      } else if (type === REC.SST) {
        const sst = readSharedStrings(s, v, pos, this.name);
        this.#sst = sst.strings;
        pos = sst.end;
        continue;
      } else if (type === REC.EOF) {
        break;
      }
      pos = body + len;
    }
    for (const sheet of sheets) {
      this.sheetNames.push(sheet.name);
      if (!this.#sheets.has(sheet.name)) this.#sheets.set(sheet.name, sheet.offset);
    }
  }

  /** ShortXLUnicodeString: 1-byte count, flag, chars. Returns the string and the byte after it. */
  #shortString(at: number): [string, number] {
    const cch = this.stream[at];
    const high = (this.stream[at + 1] & 1) === 1;
    return [biffChars(this.stream, at + 2, cch, high), at + 2 + cch * (high ? 2 : 1)];
  }

  /** XLUnicodeString: 2-byte count, flag, chars (no runs), as in LABEL and STRING records. */
  #longString(at: number): string {
    const cch = this.#view.getUint16(at, true);
    const high = (this.stream[at + 2] & 1) === 1;
    return biffChars(this.stream, at + 3, cch, high);
  }

  async *rows(sheet: string, options: RowOptions = {}): AsyncIterable<SheetRow> {
    const offset = this.#sheets.get(sheet);
    if (offset === undefined) throw new ReadError("corrupt_file", `${this.name}: no sheet named "${sheet}"`);
    yield* this.#decodeSheet(offset, sheet, options.maxColumns ?? Number.MAX_SAFE_INTEGER);
  }

  *#decodeSheet(offset: number, sheet: string, maxColumns: number): Generator<SheetRow> {
    const s = this.stream;
    const v = this.#view;
    let pos = offset;
    let nested = 0;
    if (pos + 4 > s.length || v.getUint16(pos, true) !== REC.BOF) {
      throw new ReadError("corrupt_file", `${this.name}: sheet "${sheet}" does not start with a BOF record`);
    }
    pos += 4 + v.getUint16(pos + 2, true);
    const rows = new RowCollector(maxColumns);
    while (pos + 4 <= s.length) {
      const type = v.getUint16(pos, true);
      const len = v.getUint16(pos + 2, true);
      const b = pos + 4;
      if (b + len > s.length) {
        throw new ReadError("corrupt_file", `${this.name}: sheet "${sheet}" is truncated at byte ${pos}`);
      }
      pos = b + len;
      // Embedded charts are nested BOF…EOF substreams whose cached series values look like cells.
      if (type === REC.BOF) nested++;
      else if (type === REC.EOF && nested-- === 0) break;
      if (nested > 0) continue;
      this.#cellRecord(type, b, len, rows);
      if (rows.ready.length > 0) yield rows.ready.pop()!;
    }
    const last = rows.last();
    if (last) yield last;
  }

  /** The cells of one record of a sheet, if it holds any. */
  #cellRecord(type: number, b: number, len: number, rows: RowCollector): void {
    const s = this.stream;
    const v = this.#view;
    switch (type) {
      case REC.NUMBER:
        return rows.put(v.getUint16(b, true), v.getUint16(b + 2, true), v.getFloat64(b + 6, true));
      case REC.RK:
        return rows.put(v.getUint16(b, true), v.getUint16(b + 2, true), decodeRk(v.getInt32(b + 6, true)));
      case REC.MULRK: {
        const r = v.getUint16(b, true);
        const first = v.getUint16(b + 2, true);
        const count = (len - 6) / 6;
        for (let i = 0; i < count; i++) rows.put(r, first + i, decodeRk(v.getInt32(b + 4 + i * 6 + 2, true)));
        return;
      }
      case REC.LABELSST:
        return rows.put(
          v.getUint16(b, true),
          v.getUint16(b + 2, true),
          this.#sst[v.getUint32(b + 6, true)] ?? null,
        );
      case REC.LABEL:
        return rows.put(v.getUint16(b, true), v.getUint16(b + 2, true), this.#longString(b + 6));
      case REC.BOOLERR:
        return rows.put(
          v.getUint16(b, true),
          v.getUint16(b + 2, true),
          s[b + 7] === 0 ? s[b + 6] === 1 : null,
        );
      case REC.FORMULA:
        return this.#formula(b, rows);
      case REC.STRING:
        // A formula's text result follows its FORMULA record.
        if (rows.formula) rows.put(rows.formula[0], rows.formula[1], this.#longString(b));
        rows.formula = null;
    }
  }

  /** A formula's cached result: a number, a boolean, an empty string, or text in the next STRING record. */
  #formula(b: number, rows: RowCollector): void {
    const v = this.#view;
    const r = v.getUint16(b, true);
    const c = v.getUint16(b + 2, true);
    if (v.getUint16(b + 12, true) !== 0xffff) return rows.put(r, c, v.getFloat64(b + 6, true));
    const kind = this.stream[b + 6];
    if (kind === 0) rows.formula = [r, c];
    else if (kind === 1) rows.put(r, c, this.stream[b + 8] === 1);
    else if (kind === 3) rows.put(r, c, "");
  }

  close(): void {
    this.#sst = [];
    this.#sheets.clear();
  }
}

/** Gathers cells into rows as a sheet's records arrive in row order; a finished row waits in `ready`. */
class RowCollector {
  row = -1;
  cells: CellValue[] = [];
  readonly ready: SheetRow[] = [];
  /** The cell of a FORMULA record whose text result comes in the next STRING record. */
  formula: [number, number] | null = null;

  constructor(private readonly maxColumns: number) {}

  put(r: number, c: number, value: CellValue): void {
    if (c >= this.maxColumns || value === null) return;
    if (r !== this.row) {
      if (this.row >= 0 && this.cells.length > 0) this.ready.push({ row: this.row, cells: this.cells });
      this.row = r;
      this.cells = [];
    }
    this.cells[c] = value;
  }

  /** The row still being gathered when the sheet ends. */
  last(): SheetRow | null {
    return this.row >= 0 && this.cells.length > 0 ? { row: this.row, cells: this.cells } : null;
  }
}
