/**
 * A worksheet part's XML (`<row r><c r t><v>…</v></c></row>`, inline strings in `<is><t>`) to cells, chunk
 * by chunk as the zip inflates it. A sheet holds a handful of element kinds, so the scanner jumps from one
 * `<` to the next with `indexOf` and looks only at the tags and attributes that carry cells; a generic SAX
 * tokenizer (htmlparser2's, measured) walks every character through a state machine and made the read
 * of a 1,000,000-row sheet three quarters of its load time.
 */
import type { CellValue } from "./workbook.ts";

/** Receives each non-blank cell, in sheet order, and the end of each row that had one. */
export interface CellSink {
  cell(row: number, col: number, value: Exclude<CellValue, null>): void;
  rowEnd?(row: number): void;
}

const SLASH = 47; // /
const GT = 62; // >
const V = 118; // v
const QUESTION = 63; // ?
const BANG = 33; // !

export class SheetXmlScanner {
  #carry = "";
  #row = -1;
  #rowHasCells = false;
  #column = -1;
  #kind = "n";
  #text: string | null = null;
  /** Inside `<v>` or an inline string's `<t>`: text up to the next tag is the cell's. */
  #capture = false;
  #inInline = false;

  constructor(
    private readonly sink: CellSink,
    private readonly strings: readonly string[],
    private readonly maxColumns = Number.MAX_SAFE_INTEGER,
  ) {}

  /** Scans `chunk`; a tag cut by the chunk's end is kept for the next call. */
  write(chunk: string): void {
    const text = this.#carry + chunk;
    // Every tag before the last `<` is whole (XML allows no `<` inside a tag), and so is every text run.
    const end = text.lastIndexOf("<");
    if (end < 0) {
      this.#carry = text;
      return;
    }
    const stop = this.#scan(text, end);
    this.#carry = text.slice(stop);
  }

  /** Scans what is left. */
  end(): void {
    if (this.#carry) this.#scan(this.#carry + "<", this.#carry.length);
    this.#carry = "";
    this.#closeRow();
  }

  /** Handles the tags starting before `end`; returns where scanning stopped (a cut comment or CDATA). */
  #scan(text: string, end: number): number {
    let lt = text.indexOf("<");
    while (lt >= 0 && lt < end) {
      const next = text.charCodeAt(lt + 1);
      if (next === BANG) {
        const cdata = text.startsWith("<![CDATA[", lt);
        const close = text.indexOf(cdata ? "]]>" : text.startsWith("<!--", lt) ? "-->" : ">", lt);
        if (close < 0) return lt;
        if (cdata && this.#capture) this.#append(text.slice(lt + 9, close));
        lt = text.indexOf("<", close);
        continue;
      }
      if (next === V && text.charCodeAt(lt + 2) === GT) {
        lt = this.#value(text, lt + 3);
        continue;
      }
      const gt = text.indexOf(">", lt);
      if (next === QUESTION) {
        lt = text.indexOf("<", gt);
        continue;
      }
      if (next === SLASH) {
        this.#close(text, lt + 2);
      } else {
        const selfClosing = text.charCodeAt(gt - 1) === SLASH;
        this.#open(text, lt + 1, gt);
        if (selfClosing) this.#close(text, lt + 1);
      }
      const following = text.indexOf("<", gt);
      if (this.#capture && following > gt + 1) this.#append(decodeEntities(text.slice(gt + 1, following)));
      lt = following;
    }
    return lt < 0 ? text.length : lt;
  }

  /**
   * The common `<v>…</v></c>` of a cell, from just after `<v>`, without the generic tag handling; returns
   * where scanning goes on (the next tag it did not consume).
   */
  #value(text: string, from: number): number {
    const following = text.indexOf("<", from);
    if (following > from) this.#append(decodeEntities(text.slice(from, following)));
    if (!text.startsWith("</v>", following)) {
      this.#capture = true;
      return following;
    }
    if (!text.startsWith("</c>", following + 4)) return text.indexOf("<", following + 4);
    this.#close(text, following + 6);
    return text.indexOf("<", following + 8);
  }

  /** Adds a run of the current cell's text. */
  #append(run: string): void {
    this.#text = this.#text === null ? run : this.#text + run;
  }

  #open(text: string, at: number, gt: number): void {
    const tag = tagAt(text, at);
    if (tag === Tag.Cell) {
      const ref = attributeAt(text, at, gt, "r=");
      this.#column = ref >= 0 ? columnAt(text, ref) : this.#column + 1;
      const kind = attributeAt(text, at, gt, "t=");
      this.#kind = kind < 0 ? "n" : kindAt(text, kind);
      this.#text = null;
    } else if (tag === Tag.Value) {
      this.#capture = true;
    } else if (tag === Tag.InlineString) {
      this.#inInline = true;
    } else if (tag === Tag.Text) {
      if (this.#inInline) this.#capture = true;
    } else if (tag === Tag.Phonetic) {
      // Phonetic runs inside an inline string are not its text.
      this.#inInline = false;
    } else if (tag === Tag.Row) {
      this.#closeRow();
      const refAt = attributeAt(text, at, gt, "r=");
      const ref = refAt < 0 ? "" : valueAt(text, refAt);
      this.#row = ref ? Number(ref) - 1 : this.#row + 1;
      this.#column = -1;
    }
  }

  #close(text: string, at: number): void {
    const tag = tagAt(text, at);
    if (tag === Tag.Value || tag === Tag.Text) {
      this.#capture = false;
    } else if (tag === Tag.Phonetic) {
      this.#inInline = true;
    } else if (tag === Tag.InlineString) {
      this.#inInline = false;
    } else if (tag === Tag.Cell) {
      if (this.#text !== null && this.#text !== "" && this.#column < this.maxColumns) {
        const value = cellValue(this.#kind, this.#text, this.strings);
        if (value !== null) {
          this.sink.cell(this.#row, this.#column, value);
          this.#rowHasCells = true;
        }
      }
      this.#text = null;
    } else if (tag === Tag.Row) {
      this.#closeRow();
    }
  }

  #closeRow(): void {
    if (this.#rowHasCells) this.sink.rowEnd?.(this.#row);
    this.#rowHasCells = false;
  }
}

const enum Tag {
  Other,
  Row,
  Cell,
  Value,
  Text,
  InlineString,
  Phonetic,
}

/** XML white space: space, tab, line feed, carriage return. */
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** The kind of element whose name starts at `at` (after `<` or `</`), ignoring a namespace prefix. */
function tagAt(text: string, at: number): Tag {
  let start = at;
  let end = at;
  for (;; end++) {
    const c = text.charCodeAt(end);
    if (c === 58) start = end + 1; // a prefix's ':'
    else if (isSpace(c) || c === GT || c === SLASH || c !== c) break;
  }
  const first = text.charCodeAt(start);
  switch (end - start) {
    case 1:
      return first === 99 ? Tag.Cell : first === 118 ? Tag.Value : first === 116 ? Tag.Text : Tag.Other;
    case 2:
      return first === 105 && text.charCodeAt(start + 1) === 115 ? Tag.InlineString : Tag.Other;
    case 3:
      if (text.startsWith("row", start)) return Tag.Row;
      return text.startsWith("rPh", start) ? Tag.Phonetic : Tag.Other;
    default:
      return Tag.Other;
  }
}

/**
 * Where the value of the attribute whose name and `=` are `key` (`"r="`) starts, in the tag between `from`
 * and `to`; -1 when it has none.
 */
function attributeAt(text: string, from: number, to: number, key: string): number {
  for (let at = text.indexOf(key, from); at > 0 && at < to; at = text.indexOf(key, at + 1)) {
    if (isSpace(text.charCodeAt(at - 1))) return at + key.length + 1;
  }
  return -1;
}

/** A cell's `t` attribute value starting at `at` (the common ones without slicing). */
function kindAt(text: string, at: number): string {
  switch (text.indexOf(text[at - 1], at) - at) {
    case 1: {
      const c = text[at];
      if (c === "s" || c === "n" || c === "b" || c === "e") return c;
      break;
    }
    case 3:
      if (text.startsWith("str", at)) return "str";
      break;
    case 9:
      if (text.startsWith("inlineStr", at)) return "inlineStr";
  }
  return valueAt(text, at);
}

/** The attribute value starting at `at`, up to its closing quote. */
function valueAt(text: string, at: number): string {
  return text.slice(at, text.indexOf(text[at - 1], at));
}

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** XML's five named entities and numeric character references. */
function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] !== "#") return NAMED_ENTITIES[ref] ?? whole;
    const code = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : Number(ref.slice(1));
    return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

function cellValue(kind: string, text: string, strings: readonly string[]): CellValue {
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

/** The 0-based column of the A1-style reference starting at `at` in `text` (`"AB12"` → 27). */
function columnAt(text: string, at: number): number {
  let col = 0;
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 65 || c > 90) break;
    col = col * 26 + (c - 64);
  }
  return col - 1;
}
