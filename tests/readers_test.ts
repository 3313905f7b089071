/** The `.xls` and `.xlsx` readers against SheetJS, an independent reader, on every fixture and real file. */
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { join } from "node:path";
import XLSX from "xlsx";
import CFB from "cfb";
import { openXls } from "../src/ingest/readers/xls.ts";
import { openXlsx } from "../src/ingest/readers/xlsx.ts";
import { type CellValue, ReadError, type WorkbookReader } from "../src/ingest/readers/workbook.ts";
import v8 from "node:v8";
import { systemAFile } from "../fixtures/generate.ts";
import { workbookBytes } from "../fixtures/workbooks.ts";
import { generatedFixtures, REAL_DIR } from "./_helpers.ts";

/** Every non-blank cell as "row,col" → value, as SheetJS reads it (error cells as null, dropped). */
function sheetjsCells(wb: XLSX.WorkBook, sheet: string): Map<string, CellValue> {
  const ws = wb.Sheets[sheet];
  const out = new Map<string, CellValue>();
  for (const [ref, cell] of Object.entries(ws)) {
    if (ref.startsWith("!")) continue;
    const c = cell as XLSX.CellObject;
    if (c.t === "e" || c.t === "z" || c.v === undefined) continue;
    const { r, c: col } = XLSX.utils.decode_cell(ref);
    out.set(`${r},${col}`, c.v as CellValue);
  }
  return out;
}

async function ourCells(book: WorkbookReader, sheet: string): Promise<Map<string, CellValue>> {
  const out = new Map<string, CellValue>();
  for await (const row of book.rows(sheet)) {
    row.cells.forEach((v, c) => {
      if (v !== null && v !== undefined) out.set(`${row.row},${c}`, v);
    });
  }
  return out;
}

async function open(path: string, bytes: Uint8Array): Promise<WorkbookReader> {
  return path.endsWith(".xlsx") ? await openXlsx(path, path) : openXls(bytes, path);
}

async function crossCheck(path: string): Promise<number> {
  const bytes = await Deno.readFile(path);
  const book = await open(path, bytes);
  const wb = XLSX.read(bytes, { type: "array", cellDates: false, cellFormula: false, cellHTML: false });
  try {
    deepEqual([...book.sheetNames], wb.SheetNames.filter((n) => book.sheetNames.includes(n)));
    let cells = 0;
    for (const sheet of book.sheetNames) {
      const ours = await ourCells(book, sheet);
      const theirs = sheetjsCells(wb, sheet);
      deepEqual(ours, theirs, `${path} sheet "${sheet}"`);
      cells += ours.size;
    }
    return cells;
  } finally {
    book.close();
  }
}

Deno.test("the readers give the same cells as SheetJS on every generated fixture", async () => {
  const { dir, manifest } = await generatedFixtures();
  let checked = 0;
  for (const f of manifest.filter((m) => !m.quarantine)) {
    checked += await crossCheck(join(dir, f.file)) > 0 ? 1 : 0;
  }
  equal(checked, manifest.filter((m) => !m.quarantine).length);
});

Deno.test("the .xls reader gives the same cells as SheetJS on every real station file", async () => {
  let files = 0;
  for (const e of Deno.readDirSync(REAL_DIR)) {
    const cells = await crossCheck(join(REAL_DIR, e.name));
    equal(cells > 1000, true, `${e.name}: only ${cells} cells read`);
    files++;
  }
  equal(files >= 35, true);
});

Deno.test("the .xlsx reader streams a sheet's rows in order and maps shared strings", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "s.xlsx");
  const ws = XLSX.utils.aoa_to_sheet([["a", 1], [], ["a", "b & <c>", true], [null, 2.5]]);
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, ws, "One");
  await Deno.writeFile(path, new Uint8Array(XLSX.write(wb, { type: "array", bookType: "xlsx" })));
  const book = await openXlsx(path, "s.xlsx");
  const rows = [];
  for await (const r of book.rows("One")) rows.push([r.row, [...r.cells]]);
  book.close();
  deepEqual(rows, [[0, ["a", 1]], [2, ["a", "b & <c>", true]], [3, [undefined, 2.5]]]);
});

Deno.test("opening a typical .xls costs the JS heap a few times its size, not a byte-by-byte copy", () => {
  const typical = systemAFile(
    { model: "2475-10", serial: "1", dateSerial: 45000, untrimmedResistance: 9000, trimmedResistance: 10000 },
    [{}],
    3,
  );
  const bytes = workbookBytes(typical.sheets, "xls");
  // V8's running count of bytes allocated on the JS heap (newer than @types/node's HeapInfo).
  const allocated = () =>
    (v8.getHeapStatistics() as v8.HeapInfo & { total_allocated_bytes: number }).total_allocated_bytes;
  openXls(bytes, "warm.xls").close();
  const before = allocated();
  const opens = 20;
  for (let i = 0; i < opens; i++) openXls(bytes, "typical.xls").close();
  const perOpen = (allocated() - before) / opens;
  // cfb given a plain Uint8Array pushed every byte of each stream onto a JS array: ~59× the file's size.
  ok(
    perOpen < bytes.length * 8,
    `${Math.round(perOpen / 1024)} KB of heap to open a ${bytes.length >> 10} KB file`,
  );
});

Deno.test("openXls() names the file and says why when the bytes are not a workbook", () => {
  throws(() => openXls(new Uint8Array(600).fill(1), "bad.xls"), (e: unknown) => {
    return e instanceof ReadError && e.code === "corrupt_file" && e.message.startsWith("bad.xls:");
  });
});

Deno.test("openXlsx() rejects a truncated zip as corrupt_file", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "t.xlsx");
  await Deno.writeFile(path, new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0]));
  await rejects(
    openXlsx(path, "t.xlsx"),
    (e: unknown) => e instanceof ReadError && e.code === "corrupt_file",
  );
});

Deno.test("the .xlsx reader takes Excel-style XML too: self-closing styled blanks, empty rows, entities, inline strings", async () => {
  // exceljs writes what SheetJS does not: <c r="B1" s="1"/> for a styled blank, &amp; in strings.
  const { default: ExcelJS } = await import("exceljs");
  const dir = await Deno.makeTempDir({ prefix: "lta-xlsx-" });
  const path = join(dir, "styled.xlsx");
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: path,
    useSharedStrings: false,
    useStyles: true,
  });
  const ws = wb.addWorksheet("Lin Error");
  const first = ws.addRow([1.5, null, "a & b <c>", 2]);
  first.getCell(2).fill = { type: "pattern", pattern: "solid", fgColor: { argb: "FFFF0000" } };
  first.commit();
  const styledOnly = ws.addRow([]);
  styledOnly.getCell(1).font = { bold: true };
  styledOnly.commit();
  ws.addRow([null, "x", null, -0.25]).commit();
  await ws.commit();
  await wb.commit();
  const zip = CFB.read(await Deno.readFile(path), { type: "buffer" });
  const part = zip.FullPaths.findIndex((p) => p.endsWith("xl/worksheets/sheet1.xml"));
  const xml = new TextDecoder().decode(zip.FileIndex[part].content as Uint8Array);
  const expected = sheetjsCells(XLSX.read(await Deno.readFile(path)), "Lin Error");
  const book = await openXlsx(path, "styled.xlsx");
  try {
    deepEqual(await ourCells(book, "Lin Error"), expected);
    equal(expected.get("0,2"), "a & b <c>");
  } finally {
    book.close();
  }
  // The case this test exists for is really in the file.
  ok(/<c r="B1" s="\d+"\/>/.test(xml), "a self-closing styled blank cell");
  ok(xml.includes("&amp;"), "an entity");
});
