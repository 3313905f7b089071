/**
 * Every trim-station layout lta reads, tried in order: the first whose sheet names match reads the file.
 * A new station type is a file beside `system_a.ts` and a line in `TRIM_LAYOUTS`; its `system` id reaches
 * `station_layouts` with its first file, so the database needs no migration.
 */
import { ReadError, type WorkbookReader } from "../readers/workbook.ts";
import { SYSTEM_A } from "./system_a.ts";
import { SYSTEM_B } from "./system_b.ts";
import type { ParsedWorkbook, TrimLayout } from "./trim_layout.ts";

export const TRIM_LAYOUTS: readonly TrimLayout[] = [
  SYSTEM_A,
  SYSTEM_B,
];

/** The layout the sheet names show, or `null` when the workbook is not a trim file. */
export function detectLayout(sheetNames: readonly string[]): TrimLayout | null {
  return TRIM_LAYOUTS.find((l) => l.matches(sheetNames)) ?? null;
}

/** Reads the trim data of a workbook; throws `ReadError` (`unknown_layout`, `no_data`) when there is none. */
export async function parseTrimWorkbook(book: WorkbookReader, name: string): Promise<ParsedWorkbook> {
  const layout = detectLayout(book.sheetNames);
  if (!layout) {
    throw new ReadError(
      "unknown_layout",
      `${name}: the sheets match no station layout (${
        TRIM_LAYOUTS.map((l) => `System ${l.system}: ${l.description}`).join("; ")
      }); sheets are ${book.sheetNames.map((s) => `"${s}"`).join(", ")}`,
    );
  }
  const parsed = await layout.parse(book);
  if (!parsed.tracks.some((t) => (t.trimmed ?? t.untrimmed)?.position.length)) {
    const sheets = [...new Set(parsed.tracks.flatMap((t) => [t.trimmed?.sheet, t.untrimmed?.sheet]))].filter(
      Boolean,
    );
    throw new ReadError(
      "no_data",
      `${name}: System ${layout.system} layout but no numeric position in the first 20 rows of ${
        sheets.length ? sheets.map((s) => `"${s}"`).join(", ") : "any data sheet"
      } (position column ${layout.positionColumn})`,
    );
  }
  return parsed;
}
