/**
 * `.xlsx` reader that streams: `npm:yauzl` reads the zip's central directory and inflates one part at a
 * time; the workbook, relationship and shared-string parts go through `npm:htmlparser2` (XML mode), and
 * sheets through `SheetXmlScanner`, which hands cells on as the bytes arrive, so a sheet of a million rows
 * is never held in memory. Only the shared-string table is kept whole.
 */
// @ts-types="@types/yauzl"
import yauzl from "yauzl";
import { Parser } from "htmlparser2";
import zlib from "node:zlib";
import { type CellSink, SheetXmlError, SheetXmlScanner } from "./sheet_xml.ts";
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

/**
 * Decoded text chunks of one zip part, as they are inflated. The part's CRC-32 is checked as it goes (yauzl
 * checks sizes, not content): a part with garbled bytes that still inflate is damaged, and its last chunk
 * throws instead of being handed on.
 */
async function* partText(zip: ZipFile, entry: Entry, name: string): AsyncGenerator<string> {
  const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
    zip.openReadStream(entry, (err, s) => err ? reject(err) : resolve(s!))
  );
  const decoder = new TextDecoder();
  let crc = 0;
  for await (const chunk of stream) {
    const bytes = chunk as unknown as Uint8Array;
    crc = zlib.crc32(bytes, crc);
    yield decoder.decode(bytes, { stream: true });
  }
  if (crc >>> 0 !== entry.crc32 >>> 0) {
    throw new ReadError(
      "corrupt_file",
      `${name}: zip part ${entry.fileName} fails its CRC-32 check (stored ${hex8(entry.crc32)}, read ${
        hex8(crc)
      })`,
    );
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, "0");

/** Deeper than any part Excel writes (a few levels): past it, a part is built to make the parser crawl. */
const MAX_XML_DEPTH = 64;

/** Runs an XML part through a SAX parser built by `handlers`, calling `drain` after each chunk. */
async function* parsePart<T>(
  zip: ZipFile,
  entry: Entry,
  name: string,
  handlers: ConstructorParameters<typeof Parser>[0],
  drain: () => T[],
): AsyncGenerator<T> {
  let depth = 0;
  const parser = new Parser({
    ...handlers,
    onopentag: (tag, attributes, implied) => {
      if (++depth > MAX_XML_DEPTH) {
        throw new ReadError(
          "corrupt_file",
          `${name}: ${entry.fileName} nests elements over ${MAX_XML_DEPTH} deep`,
        );
      }
      handlers?.onopentag?.(tag, attributes, implied);
    },
    onclosetag: (tag, implied) => {
      depth--;
      handlers?.onclosetag?.(tag, implied);
    },
  }, { xmlMode: true, decodeEntities: true });
  for await (const text of partText(zip, entry, name)) {
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
      const _ of parsePart(this.zip, rels, this.name, {
        onopentag: (tag, a) => {
          if (tag === "Relationship") targets.set(a.Id, { target: a.Target, type: a.Type ?? "" });
        },
      }, () => [])
    );
    const sheets: Array<[string, string]> = [];
    for await (
      const _ of parsePart(this.zip, workbook, this.name, {
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
      const _ of parsePart(this.zip, entry, this.name, {
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
    const ready: SheetRow[] = [];
    let cells: CellValue[] = [];
    const sink: CellSink = {
      cell: (_row, col, value) => (cells[col] = value),
      rowEnd: (row) => {
        ready.push({ row, cells });
        cells = [];
      },
    };
    for await (const _ of this.#scan(sheet, sink, options)) yield* ready.splice(0);
  }

  async cells(sheet: string, sink: CellSink, options: RowOptions = {}): Promise<void> {
    for await (const _ of this.#scan(sheet, sink, options));
  }

  /** Feeds the sheet's part through the scanner, pausing after each inflated chunk. */
  async *#scan(sheet: string, sink: CellSink, options: RowOptions): AsyncGenerator<void> {
    const entry = this.#sheetParts.get(sheet);
    if (!entry) throw new ReadError("corrupt_file", `${this.name}: no sheet named "${sheet}"`);
    const scanner = new SheetXmlScanner(sink, this.#strings, options.maxColumns);
    try {
      for await (const text of partText(this.zip, entry, this.name)) {
        scanner.write(text);
        yield;
      }
      scanner.end();
    } catch (e) {
      if (e instanceof SheetXmlError) {
        throw new ReadError("corrupt_file", `${this.name}: sheet "${sheet}": ${e.message}`);
      }
      throw e;
    }
    yield;
  }

  close(): void {
    this.#strings = [];
    this.zip.close();
  }
}
