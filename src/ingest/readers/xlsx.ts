/**
 * `.xlsx` reader that streams: `npm:yauzl` reads the zip's central directory and inflates one part at a
 * time, and `npm:htmlparser2` (XML mode) turns the sheet XML into rows as the bytes arrive, so a sheet of
 * a million rows is never held in memory. Only the shared-string table is kept whole. Sheets go through
 * htmlparser2's Tokenizer, one level below its Parser: index ranges instead of tag and attribute objects
 * (measured on a 1M-row sheet: 2.1 s against 3.3 s for the Parser with an empty handler).
 */
// @ts-types="@types/yauzl"
import yauzl from "yauzl";
import { Parser, Tokenizer } from "htmlparser2";
import {
  type CellValue,
  ReadError,
  type RowOptions,
  type SheetRow,
  type WorkbookReader,
} from "./workbook.ts";

type ZipFile = yauzl.ZipFile;
type Entry = yauzl.Entry;

/** Opens the `.xlsx` at `path`; `name` is used in error messages. */
export async function openXlsx(path: string, name: string): Promise<WorkbookReader> {
  let zip: ZipFile;
  try {
    zip = await new Promise<ZipFile>((resolve, reject) =>
      yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, z) => err ? reject(err) : resolve(z!))
    );
  } catch (e) {
    throw new ReadError("corrupt_file", `${name}: not a readable .xlsx zip (${(e as Error).message})`);
  }
  try {
    const entries = await listEntries(zip);
    const book = new XlsxWorkbook(zip, entries, name);
    await book.init();
    return book;
  } catch (e) {
    zip.close();
    if (e instanceof ReadError) throw e;
    throw new ReadError("corrupt_file", `${name}: damaged .xlsx (${(e as Error).message})`);
  }
}

function listEntries(zip: ZipFile): Promise<Map<string, Entry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, Entry>();
    zip.on("entry", (entry: Entry) => {
      entries.set(entry.fileName.replace(/^\/+/, ""), entry);
      zip.readEntry();
    });
    zip.on("end", () => resolve(entries));
    zip.on("error", reject);
    zip.readEntry();
  });
}

/** Decoded text chunks of one zip part, as they are inflated. */
async function* partText(zip: ZipFile, entry: Entry): AsyncGenerator<string> {
  const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
    zip.openReadStream(entry, (err, s) => err ? reject(err) : resolve(s!))
  );
  const decoder = new TextDecoder();
  for await (const chunk of stream) yield decoder.decode(chunk as unknown as Uint8Array, { stream: true });
  const rest = decoder.decode();
  if (rest) yield rest;
}

/** Runs an XML part through a SAX parser built by `handlers`, calling `drain` after each chunk. */
async function* parsePart<T>(
  zip: ZipFile,
  entry: Entry,
  handlers: ConstructorParameters<typeof Parser>[0],
  drain: () => T[],
): AsyncGenerator<T> {
  const parser = new Parser(handlers, { xmlMode: true, decodeEntities: true });
  for await (const text of partText(zip, entry)) {
    parser.write(text);
    yield* drain();
  }
  parser.end();
  yield* drain();
}

class XlsxWorkbook implements WorkbookReader {
  readonly format = "xlsx" as const;
  readonly sheetNames: string[] = [];
  #sheetParts = new Map<string, Entry>();
  #strings: string[] = [];

  constructor(private zip: ZipFile, private entries: Map<string, Entry>, private name: string) {}

  async init(): Promise<void> {
    const workbook = this.entries.get("xl/workbook.xml");
    const rels = this.entries.get("xl/_rels/workbook.xml.rels");
    if (!workbook || !rels) {
      throw new ReadError("corrupt_file", `${this.name}: zip has no xl/workbook.xml; not an Excel workbook`);
    }
    const targets = new Map<string, { target: string; type: string }>();
    for await (
      const _ of parsePart(this.zip, rels, {
        onopentag: (tag, a) => {
          if (tag === "Relationship") targets.set(a.Id, { target: a.Target, type: a.Type ?? "" });
        },
      }, () => [])
    );
    const sheets: Array<[string, string]> = [];
    for await (
      const _ of parsePart(this.zip, workbook, {
        onopentag: (tag, a) => {
          if (tag === "sheet") sheets.push([a.name, a["r:id"] ?? a.id ?? ""]);
        },
      }, () => [])
    );
    for (const [sheetName, relId] of sheets) {
      const rel = targets.get(relId);
      if (!rel || !rel.type.endsWith("/worksheet")) continue;
      const path = rel.target.startsWith("/") ? rel.target.slice(1) : `xl/${rel.target}`;
      const entry = this.entries.get(path.replace(/\/\.\//g, "/"));
      if (!entry) continue;
      this.sheetNames.push(sheetName);
      if (!this.#sheetParts.has(sheetName)) this.#sheetParts.set(sheetName, entry);
    }
    const shared = this.entries.get("xl/sharedStrings.xml");
    if (shared) await this.#readSharedStrings(shared);
  }

  async #readSharedStrings(entry: Entry): Promise<void> {
    let text: string | null = null;
    let inT = false;
    let phonetic = 0;
    for await (
      const _ of parsePart(this.zip, entry, {
        onopentag: (tag) => {
          if (tag === "si") text = "";
          else if (tag === "rPh") phonetic++;
          else if (tag === "t" && phonetic === 0) inT = true;
        },
        ontext: (t) => {
          if (inT && text !== null) text += t;
        },
        onclosetag: (tag) => {
          if (tag === "t") inT = false;
          else if (tag === "rPh") phonetic--;
          else if (tag === "si") {
            this.#strings.push(text ?? "");
            text = null;
          }
        },
      }, () => [])
    );
  }

  async *rows(sheet: string, options: RowOptions = {}): AsyncIterable<SheetRow> {
    const entry = this.#sheetParts.get(sheet);
    if (!entry) throw new ReadError("corrupt_file", `${this.name}: no sheet named "${sheet}"`);
    const rows = new SheetRows(options.maxColumns ?? Number.MAX_SAFE_INTEGER, this.#strings);
    for await (const text of partText(this.zip, entry)) {
      rows.write(text);
      yield* rows.ready.splice(0);
    }
    rows.end();
    yield* rows.ready.splice(0);
  }

  close(): void {
    this.#strings = [];
    this.zip.close();
  }
}

/** Sheet XML (`<row r><c r t><v>…</v></c></row>`, inline strings in `<is><t>`) to rows, chunk by chunk. */
class SheetRows {
  readonly ready: SheetRow[] = [];
  #tokenizer: Tokenizer;
  // The chunks a pending token may still point into, as htmlparser2's Parser keeps them.
  #buffers: string[] = [];
  #bufferOffset = 0;
  #tag = "";
  #attribute = "";
  #value = "";
  #rowRef: string | null = null;
  #cellRef: string | null = null;
  #cellType: string | null = null;
  #row = -1;
  #cells: CellValue[] = [];
  #column = -1;
  #kind = "n";
  #text = "";
  #capture = false;

  constructor(private maxColumns: number, private strings: string[]) {
    const noop = () => {};
    this.#tokenizer = new Tokenizer({ xmlMode: true, decodeEntities: true }, {
      onopentagname: (start, end) => {
        this.#tag = this.#slice(start, end);
        this.#rowRef = this.#cellRef = this.#cellType = null;
      },
      onattribname: (start, end) => {
        this.#attribute = this.#slice(start, end);
        this.#value = "";
      },
      onattribdata: (start, end) => (this.#value += this.#slice(start, end)),
      onattribentity: (codepoint) => (this.#value += String.fromCodePoint(codepoint)),
      onattribend: () => {
        if (this.#tag === "row" && this.#attribute === "r") this.#rowRef = this.#value;
        else if (this.#tag === "c" && this.#attribute === "r") this.#cellRef = this.#value;
        else if (this.#tag === "c" && this.#attribute === "t") this.#cellType = this.#value;
      },
      onopentagend: () => this.#open(),
      onselfclosingtag: () => {
        this.#open();
        this.#close(this.#tag);
      },
      onclosetag: (start, end) => this.#close(this.#slice(start, end)),
      ontext: (start, end) => {
        if (this.#capture) this.#text += this.#slice(start, end);
      },
      ontextentity: (codepoint) => {
        if (this.#capture) this.#text += String.fromCodePoint(codepoint);
      },
      oncdata: (start, end, offset) => {
        if (this.#capture) this.#text += this.#slice(start, end - offset);
      },
      oncomment: noop,
      ondeclaration: noop,
      onprocessinginstruction: noop,
      onend: noop,
    });
  }

  write(chunk: string): void {
    this.#buffers.push(chunk);
    this.#tokenizer.write(chunk);
  }

  end(): void {
    this.#tokenizer.end();
  }

  #slice(start: number, end: number): string {
    while (start - this.#bufferOffset >= this.#buffers[0].length) {
      this.#bufferOffset += this.#buffers.shift()!.length;
    }
    let slice = this.#buffers[0].slice(start - this.#bufferOffset, end - this.#bufferOffset);
    for (let i = 1, offset = this.#bufferOffset + this.#buffers[0].length; end > offset; i++) {
      slice += this.#buffers[i].slice(0, end - offset);
      offset += this.#buffers[i].length;
    }
    return slice;
  }

  #open(): void {
    if (this.#tag === "row") {
      this.#row = this.#rowRef ? Number(this.#rowRef) - 1 : this.#row + 1;
      this.#cells = [];
      this.#column = -1;
    } else if (this.#tag === "c") {
      this.#column = this.#cellRef ? columnOf(this.#cellRef) : this.#column + 1;
      this.#kind = this.#cellType ?? "n";
      this.#text = "";
    } else if (this.#tag === "v" || (this.#tag === "t" && this.#kind === "inlineStr")) {
      this.#capture = true;
    }
  }

  #close(tag: string): void {
    if (tag === "v" || tag === "t") {
      this.#capture = false;
    } else if (tag === "c") {
      if (this.#column < this.maxColumns && this.#text !== "") {
        const value = cellValue(this.#kind, this.#text, this.strings);
        if (value !== null) this.#cells[this.#column] = value;
      }
    } else if (tag === "row" && this.#cells.length > 0) {
      this.ready.push({ row: this.#row, cells: this.#cells });
    }
  }
}

function cellValue(kind: string, text: string, strings: string[]): CellValue {
  switch (kind) {
    case "s":
      return strings[Number(text)] ?? null;
    case "str":
    case "inlineStr":
      return text;
    case "b":
      return text === "1";
    case "e":
      return null;
    default: {
      const n = Number(text);
      return Number.isNaN(n) ? null : n;
    }
  }
}

/** `"AB12"` → 27: the 0-based column of an A1-style reference. */
export function columnOf(ref: string): number {
  let col = 0;
  for (let i = 0; i < ref.length; i++) {
    const c = ref.charCodeAt(i);
    if (c < 65 || c > 90) break;
    col = col * 26 + (c - 64);
  }
  return col - 1;
}
