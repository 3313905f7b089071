/**
 * Reading one workbook file into typed points: format sniffing (compound file or zip, whatever the
 * extension says), the layout choice (trim stations or a Final Test bench), and the checks every point
 * must pass. It touches no database, so it runs in the parse worker (`parse_worker.ts`) as well as here.
 */
import { extname } from "node:path";
import { detectSystem, type ParsedWorkbook, parseTrimWorkbook } from "./layouts/trim_layout.ts";
import {
  detectFinalTest,
  finalTestSheet,
  type ParsedFinalTest,
  parseFinalTest,
} from "./layouts/final_test_layout.ts";
import type { StageData } from "./layouts/columns.ts";
import { openXls } from "./readers/xls.ts";
import { openXlsx } from "./readers/xlsx.ts";
import { ReadError, type WorkbookReader } from "./readers/workbook.ts";
import { assertFinite } from "./finite.ts";

/** What a readable file held: trim data or a Final Test. */
export type ParsedFile = ParsedWorkbook | ParsedFinalTest;

export const CFB_MAGIC = [0xd0, 0xcf, 0x11, 0xe0];
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/** What reading a file needs: where it is, its name, its first bytes and, for a compound file, all of them. */
export interface ReadRequest {
  path: string;
  fileName: string;
  head: Uint8Array;
  whole: Uint8Array | null;
  size: number;
}

/** Reads and checks the file; a file lta cannot take throws a `ReadError` with its code. */
export async function readWorkbookFile(request: ReadRequest): Promise<ParsedFile> {
  const parsed = await readWorkbook(
    request.path,
    request.fileName,
    request.head,
    request.whole,
    request.size,
  );
  assertFinite(stagesOf(parsed), request.fileName);
  return parsed;
}

async function readWorkbook(
  path: string,
  fileName: string,
  head: Uint8Array,
  whole: Uint8Array | null,
  size: number,
): Promise<ParsedFile> {
  const ext = extname(fileName).toLowerCase();
  if (ext !== ".xls" && ext !== ".xlsx") {
    throw new ReadError(
      "wrong_extension",
      `${fileName}: extension "${ext || "(none)"}" is not .xls or .xlsx`,
    );
  }
  if (size === 0) throw new ReadError("empty_file", `${fileName}: the file is empty (0 bytes)`);
  let book: WorkbookReader;
  if (startsWith(head, CFB_MAGIC)) {
    book = openXls(whole ?? await Deno.readFile(path), fileName);
  } else if (startsWith(head, ZIP_MAGIC)) {
    book = await openXlsx(path, fileName);
  } else {
    throw new ReadError(
      "corrupt_file",
      `${fileName}: neither an Excel 97-2003 compound file nor an .xlsx zip (first bytes ${
        hex(head.subarray(0, 4))
      })`,
    );
  }
  try {
    // A trim layout wins unless the name or folder says Final Test (test benches name their files so).
    const finalTest = await detectFinalTest(fileName, path, book.sheetNames, async () => {
      if (detectSystem(book.sheetNames)) return null;
      const sheet = finalTestSheet("standard", book.sheetNames)!;
      for await (const r of book.rows(sheet, { maxColumns: 12 })) return r.row === 0 ? r.cells[11] : null;
      return null;
    });
    if (finalTest) {
      const parsed = await parseFinalTest(book, finalTest);
      if (parsed.tracks.length === 0) {
        throw new ReadError(
          "no_data",
          `${fileName}: Final Test layout (${finalTest}) but no rows in sheet "${
            finalTestSheet(finalTest, book.sheetNames)
          }" with numbers in columns A and B within the first 10 rows`,
        );
      }
      return parsed;
    }
    return await parseTrimWorkbook(book, fileName);
  } finally {
    book.close();
  }
}

/** Every stage of every track, with the stage name it is stored under. */
export function stagesOf(parsed: ParsedFile): Array<{ trackId: string; stage: string; data: StageData }> {
  if (parsed.kind === "final_test") {
    return parsed.tracks.map((t) => ({ trackId: t.trackId, stage: "final", data: t.points }));
  }
  return parsed.tracks.flatMap((t) => [
    ...(t.untrimmed ? [{ trackId: t.trackId, stage: "untrimmed", data: t.untrimmed }] : []),
    ...(t.trimmed ? [{ trackId: t.trackId, stage: "trimmed", data: t.trimmed }] : []),
  ]);
}

export function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}
