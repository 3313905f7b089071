/** Reading a worksheet tag's attributes and a cell's text into its value (`sheet_xml.ts` finds the tags). */
import type { CellValue } from "./workbook.ts";

/** XML white space: space, tab, line feed, carriage return. */
export function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/**
 * Where the value of the attribute whose name and `=` are `key` (`"r="`) starts, in the tag between `from`
 * and `to`; -1 when it has none.
 */
export function attributeAt(text: string, from: number, to: number, key: string): number {
  for (let at = text.indexOf(key, from); at > 0 && at < to; at = text.indexOf(key, at + 1)) {
    if (isSpace(text.charCodeAt(at - 1))) return at + key.length + 1;
  }
  return -1;
}

/** A cell's `t` attribute value starting at `at` (the common ones without slicing). */
export function kindAt(text: string, at: number): string {
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
export function valueAt(text: string, at: number): string {
  return text.slice(at, text.indexOf(text[at - 1], at));
}

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** XML's five named entities and numeric character references. */
export function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] !== "#") return NAMED_ENTITIES[ref] ?? whole;
    const code = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : Number(ref.slice(1));
    return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

export function cellValue(kind: string, text: string, strings: readonly string[]): CellValue {
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

/** `(row, col)` as an A1 reference, for messages. */
export function cellName(row: number, col: number): string {
  let name = "";
  for (let c = col + 1; c > 0; c = Math.floor((c - 1) / 26)) {
    name = String.fromCharCode(65 + (c - 1) % 26) + name;
  }
  return `${name}${row + 1}`;
}

/** The 0-based column of the A1-style reference starting at `at` in `text` (`"AB12"` → 27). */
export function columnAt(text: string, at: number): number {
  let col = 0;
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 65 || c > 90) break;
    col = col * 26 + (c - 64);
  }
  return col - 1;
}
