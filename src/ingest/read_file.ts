/**
 * Reading one workbook file into typed points: format sniffing (compound file or zip, whatever the
 * extension says), the layout choice (trim stations or a Final Test bench), and the checks every point
 * must pass. It touches no database, so it runs in the parse worker (`parse_worker.ts`) as well as here.
 */
import { extname } from "node:path";
import { detectLayout, parseTrimWorkbook } from "./layouts/registry.ts";
import { detectFinalTest, finalTestSheet, parseFinalTest } from "./layouts/final_test_layout.ts";
import { openXls } from "./readers/xls.ts";
import { CFB_MAGIC, type ParsedFile, type ReadRequest, stagesOf, startsWith, ZIP_MAGIC } from "./parsed.ts";
import { ReadError, type WorkbookReader } from "./readers/workbook.ts";
import { assertFinite } from "./finite.ts";

export type { ParsedFile, ReadRequest };

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
    // Loaded on first use: most stations write .xls, and the zip reader brings node's zlib and streams.
    const { openXlsx } = await import("./readers/xlsx.ts");
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
      if (detectLayout(book.sheetNames)) return null;
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

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}
