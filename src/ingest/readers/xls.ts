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

const REC = {
  FORMULA: 0x0006,
  EOF: 0x000a,
  FILEPASS: 0x002f,
  CONTINUE: 0x003c,
  BOUNDSHEET: 0x0085,
  MULRK: 0x00bd,
  SST: 0x00fc,
  LABELSST: 0x00fd,
  NUMBER: 0x0203,
  LABEL: 0x0204,
  BOOLERR: 0x0205,
  STRING: 0x0207,
  RK: 0x027e,
  BOF: 0x0809,
} as const;

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
        pos = this.#readSst(pos);
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
    return [this.#chars(at + 2, cch, high), at + 2 + cch * (high ? 2 : 1)];
  }

  /** XLUnicodeString: 2-byte count, flag, chars (no runs), as in LABEL and STRING records. */
  #longString(at: number): string {
    const cch = this.#view.getUint16(at, true);
    const high = (this.stream[at + 2] & 1) === 1;
    return this.#chars(at + 3, cch, high);
  }

  #chars(at: number, count: number, high: boolean): string {
    const s = this.stream;
    let out = "";
    if (high) {
      for (let i = 0; i < count; i++) out += String.fromCharCode(s[at + 2 * i] | (s[at + 2 * i + 1] << 8));
    } else {
      for (let i = 0; i < count; i++) out += String.fromCharCode(s[at + i]);
    }
    return out;
  }

  /**
   * Decodes the shared string table. Strings may cross into CONTINUE records; a string's characters
   * resume after a fresh flag byte there, while run and extension data continue without one.
   */
  #readSst(start: number): number {
    const s = this.stream;
    const v = this.#view;
    const segments: Array<[number, number]> = [];
    let pos = start;
    do {
      const len = v.getUint16(pos + 2, true);
      segments.push([pos + 4, pos + 4 + len]);
      pos += 4 + len;
    } while (pos + 4 <= s.length && v.getUint16(pos, true) === REC.CONTINUE);
    const end = pos;

    let seg = 0;
    let at = segments[0][0] + 8;
    const unique = v.getUint32(segments[0][0] + 4, true);
    const advance = () => {
      while (seg < segments.length && at >= segments[seg][1]) {
        seg++;
        if (seg < segments.length) at = segments[seg][0];
      }
    };
    const skip = (n: number) => {
      while (n > 0) {
        advance();
        if (seg >= segments.length) return;
        const take = Math.min(n, segments[seg][1] - at);
        at += take;
        n -= take;
      }
    };
    const u8 = () => {
      advance();
      return s[at++];
    };
    const u16 = () => u8() | (u8() << 8);
    const u32 = () => (u16() | (u16() << 16)) >>> 0;

    const table: string[] = [];
    for (let i = 0; i < unique; i++) {
      advance();
      if (seg >= segments.length) break;
      const cch = u16();
      const flags = u8();
      let high = (flags & 1) === 1;
      const runs = flags & 0x08 ? u16() : 0;
      const ext = flags & 0x04 ? u32() : 0;
      let left = cch;
      let text = "";
      while (left > 0) {
        if (at >= segments[seg][1]) {
          seg++;
          if (seg >= segments.length) break;
          at = segments[seg][0];
          high = (s[at++] & 1) === 1;
        }
        const fit = Math.min(left, Math.floor((segments[seg][1] - at) / (high ? 2 : 1)));
        // A two-byte character never straddles records: one odd byte left means the table is damaged, and
        // without this the loop would take nothing from it forever.
        if (fit === 0) {
          throw new ReadError(
            "corrupt_file",
            `${this.name}: shared string ${i + 1} of ${unique} splits a two-byte character across records`,
          );
        }
        text += this.#chars(at, fit, high);
        at += fit * (high ? 2 : 1);
        left -= fit;
      }
      table.push(text);
      skip(runs * 4 + ext);
    }
    this.#sst = table;
    return end;
  }

  async *rows(sheet: string, options: RowOptions = {}): AsyncIterable<SheetRow> {
    const offset = this.#sheets.get(sheet);
    if (offset === undefined) throw new ReadError("corrupt_file", `${this.name}: no sheet named "${sheet}"`);
    yield* this.#decodeSheet(offset, sheet, options.maxColumns ?? Number.MAX_SAFE_INTEGER);
  }

  *#decodeSheet(offset: number, sheet: string, maxColumns: number): Generator<SheetRow> {
    const s = this.stream;
    const v = this.#view;
    let row = -1;
    let cells: CellValue[] = [];
    let pendingFormula: [number, number] | null = null;
    let pos = offset;
    let nested = 0;
    if (pos + 4 > s.length || v.getUint16(pos, true) !== REC.BOF) {
      throw new ReadError("corrupt_file", `${this.name}: sheet "${sheet}" does not start with a BOF record`);
    }
    pos += 4 + v.getUint16(pos + 2, true);
    const put = (r: number, c: number, value: CellValue) => {
      if (c >= maxColumns || value === null) return;
      if (r !== row) {
        if (row >= 0 && cells.length > 0) pending.push({ row, cells });
        row = r;
        cells = [];
      }
      cells[c] = value;
    };
    const pending: SheetRow[] = [];
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
      switch (type) {
        case REC.NUMBER:
          put(v.getUint16(b, true), v.getUint16(b + 2, true), v.getFloat64(b + 6, true));
          break;
        case REC.RK:
          put(v.getUint16(b, true), v.getUint16(b + 2, true), decodeRk(v.getInt32(b + 6, true)));
          break;
        case REC.MULRK: {
          const r = v.getUint16(b, true);
          const first = v.getUint16(b + 2, true);
          const count = (len - 6) / 6;
          for (let i = 0; i < count; i++) put(r, first + i, decodeRk(v.getInt32(b + 4 + i * 6 + 2, true)));
          break;
        }
        case REC.LABELSST:
          put(v.getUint16(b, true), v.getUint16(b + 2, true), this.#sst[v.getUint32(b + 6, true)] ?? null);
          break;
        case REC.LABEL:
          put(v.getUint16(b, true), v.getUint16(b + 2, true), this.#longString(b + 6));
          break;
        case REC.BOOLERR:
          put(v.getUint16(b, true), v.getUint16(b + 2, true), s[b + 7] === 0 ? s[b + 6] === 1 : null);
          break;
        case REC.FORMULA: {
          const r = v.getUint16(b, true);
          const c = v.getUint16(b + 2, true);
          if (v.getUint16(b + 12, true) !== 0xffff) {
            put(r, c, v.getFloat64(b + 6, true));
          } else {
            const kind = s[b + 6];
            if (kind === 0) pendingFormula = [r, c];
            else if (kind === 1) put(r, c, s[b + 8] === 1);
            else if (kind === 3) put(r, c, "");
          }
          break;
        }
        case REC.STRING:
          if (pendingFormula) put(pendingFormula[0], pendingFormula[1], this.#longString(b));
          pendingFormula = null;
          break;
      }
      if (pending.length > 0) yield pending.pop()!;
    }
    if (row >= 0 && cells.length > 0) yield { row, cells };
  }

  close(): void {
    this.#sst = [];
    this.#sheets.clear();
  }
}

/** RK: a 30-bit integer or the high 30 bits of a double, optionally divided by 100. */
function decodeRk(rk: number): number {
  let value: number;
  if (rk & 2) {
    value = rk >> 2;
  } else {
    RK_VIEW.setInt32(4, rk & ~3, true);
    RK_VIEW.setInt32(0, 0, true);
    value = RK_VIEW.getFloat64(0, true);
  }
  return rk & 1 ? value / 100 : value;
}

const RK_VIEW = new DataView(new ArrayBuffer(8));
