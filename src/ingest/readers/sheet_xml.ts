/**
 * A worksheet part's XML (`<row r><c r t><v>…</v></c></row>`, inline strings in `<is><t>`) to cells, chunk
 * by chunk as the zip inflates it. A sheet holds a handful of element kinds, so the scanner jumps from one
 * `<` to the next with `indexOf` and looks only at the tags and attributes that carry cells; a generic SAX
 * tokenizer (htmlparser2's, measured) walks every character through a state machine and made the read
 * of a 1,000,000-row sheet three quarters of its load time.
 */
import type { CellSink } from "./workbook.ts";
import {
  attributeAt,
  cellName,
  cellValue,
  columnAt,
  decodeEntities,
  isSpace,
  kindAt,
  valueAt,
} from "./sheet_xml_values.ts";

export { cellName };
export type { CellSink };

const SLASH = 47; // /
const GT = 62; // >
const V = 118; // v
const QUESTION = 63; // ?
const BANG = 33; // !

/** Excel's own limits: a sheet past them is not one Excel wrote (and would have lta allocate across the gap). */
export const MAX_ROWS = 1_048_576;
export const MAX_COLUMNS = 16_384;
/** The longest tag the scanner waits for: a cell's tag is tens of bytes; 64 KB is a damaged part. */
const MAX_TAG = 65_536;
/**
 * The longest raw text of one cell: Excel holds at most 32,767 characters in a cell, and its XML escapes
 * each in at most a few more. Past this, a single "cell" would hold the scan's memory hostage.
 */
const MAX_CELL_TEXT = 1_048_576;

/** The sheet's XML is not what Excel writes; the message says where. The reader adds the file and sheet. */
export class SheetXmlError extends Error {}

/** What the scanner is inside between chunks: a text run (or nothing), a comment or a CDATA section. */
const enum Mode {
  Text,
  Comment,
  Cdata,
}

export class SheetXmlScanner {
  /** A construct cut by a chunk's end: a tag without its `>`, a `<!` not yet told apart, a terminator's start. */
  #carry = "";
  #mode = Mode.Text;
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

  /**
   * Scans `chunk`. Each character is looked at a bounded number of times, however the text is cut: what
   * is carried to the next call is at most one cut tag (≤ 64 KB), and text runs, comments and CDATA are
   * consumed as they come (re-joining and re-scanning the carried text was quadratic: a 25 MB inline string
   * took 37 s and 586 MB).
   */
  write(chunk: string): void {
    const text = this.#carry ? this.#carry + chunk : chunk;
    this.#carry = "";
    let at = 0;
    while (at < text.length) {
      if (this.#mode !== Mode.Text) {
        const closing = this.#mode === Mode.Comment ? "-->" : "]]>";
        const close = text.indexOf(closing, at);
        // A terminator cut by the chunk's end: its first two characters are kept.
        const stop = close < 0 ? Math.max(at, text.length - 2) : close;
        if (this.#mode === Mode.Cdata && this.#capture) {
          this.#append(text.slice(at, stop).replaceAll("&", "&amp;"));
        }
        if (close < 0) {
          this.#carry = text.slice(stop);
          return;
        }
        this.#mode = Mode.Text;
        at = close + 3;
        continue;
      }
      const lt = text.indexOf("<", at);
      const runEnd = lt < 0 ? text.length : lt;
      if (this.#capture && runEnd > at) this.#append(text.slice(at, runEnd));
      if (lt < 0) return;
      at = this.#construct(text, lt);
      if (at < 0) {
        this.#carry = text.slice(lt);
        if (this.#carry.length > MAX_TAG) {
          throw new SheetXmlError(`a tag runs over ${MAX_TAG} bytes without its ">"`);
        }
        return;
      }
    }
  }

  /** Scans what is left; a comment, CDATA section or tag left open means the part is damaged. */
  end(): void {
    if (this.#mode !== Mode.Text) {
      throw new SheetXmlError(
        `a ${this.#mode === Mode.Comment ? "comment (<!--)" : "CDATA section"} is never closed`,
      );
    }
    if (this.#carry) throw new SheetXmlError(`the part ends inside a tag ("${this.#carry.slice(0, 20)}…")`);
    this.#closeRow();
  }

  /** Handles the construct at `lt`; returns where scanning goes on, or -1 when it is cut by the chunk's end. */
  #construct(text: string, lt: number): number {
    const next = text.charCodeAt(lt + 1);
    if (next !== next) return -1;
    if (next === BANG) {
      if (
        text.length - lt < 9 && ("<![CDATA[".startsWith(text.slice(lt)) || "<!--".startsWith(text.slice(lt)))
      ) {
        return -1;
      }
      if (text.startsWith("<!--", lt)) {
        this.#mode = Mode.Comment;
        return lt + 4;
      }
      if (text.startsWith("<![CDATA[", lt)) {
        this.#mode = Mode.Cdata;
        return lt + 9;
      }
    }
    if (next === V && text.charCodeAt(lt + 2) === GT) return this.#value(text, lt + 3);
    const gt = text.indexOf(">", lt);
    if (gt < 0) return -1;
    if (next === QUESTION || next === BANG) return gt + 1;
    if (next === SLASH) {
      this.#close(text, lt + 2);
    } else {
      this.#open(text, lt + 1, gt);
      if (text.charCodeAt(gt - 1) === SLASH) this.#close(text, lt + 1);
    }
    return gt + 1;
  }

  /**
   * The common `<v>…</v></c>` of a cell, from just after `<v>`, without the generic tag handling; returns
   * where scanning goes on.
   */
  #value(text: string, from: number): number {
    const following = text.indexOf("<", from);
    if (following < 0 || !text.startsWith("</v></c>", following)) {
      // Cut by the chunk's end, or not the common shape: the generic path takes it from `<v>`.
      this.#capture = true;
      return from;
    }
    if (following > from) this.#append(text.slice(from, following));
    this.#capture = false;
    this.#close(text, following + 6);
    return following + 8;
  }

  /** Adds a run of the current cell's raw text (entities are decoded once the cell is whole). */
  #append(run: string): void {
    this.#text = this.#text === null ? run : this.#text + run;
    if (this.#text.length > MAX_CELL_TEXT) {
      throw new SheetXmlError(
        `cell ${
          cellName(this.#row, this.#column)
        } holds over ${MAX_CELL_TEXT} characters (Excel holds 32,767)`,
      );
    }
  }

  #open(text: string, at: number, gt: number): void {
    const tag = tagAt(text, at);
    if (tag === Tag.Cell) {
      const ref = attributeAt(text, at, gt, "r=");
      this.#column = ref >= 0 ? columnAt(text, ref) : this.#column + 1;
      if (this.#column >= MAX_COLUMNS) {
        throw new SheetXmlError(
          `a cell in column ${this.#column + 1} of row ${this.#row + 1}, past Excel's last (XFD)`,
        );
      }
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
      if (!(this.#row >= 0 && this.#row < MAX_ROWS)) {
        throw new SheetXmlError(`row "${ref}" is not a row number from 1 to ${MAX_ROWS} (Excel's last row)`);
      }
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
        const value = cellValue(this.#kind, decodeEntities(this.#text), this.strings);
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
