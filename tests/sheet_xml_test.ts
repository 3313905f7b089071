/** The worksheet XML scanner: every cell kind, and the same cells however the inflated text is cut. */
import { deepEqual } from "node:assert/strict";
import { SheetXmlScanner } from "../src/ingest/readers/sheet_xml.ts";
import type { CellValue } from "../src/ingest/readers/workbook.ts";

const SHEET = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1" spans="1:4"><c r="A1" t="s"><v>1</v></c><c r="B1" s="2"/><c r="C1"><v>1.5E-3</v></c><c r="D1" t="b"><v>1</v></c></row>
<row r="2"><c r="A2" t="e"><v>#N/A</v></c><c r="B2" t="str"><v>a &amp; b &lt;c&gt; &#233;</v></c>
  <c r="C2" t="inlineStr"><is><r><t>rich </t></r><r><t xml:space="preserve">text</t></r><rPh><t>ignored</t></rPh></is></c></row>
<row r="3"></row>
<!-- a comment with <c r="Z9"><v>9</v></c> inside -->
<row r="5"><c r="AA5"><f>SUM(A1:A2)</f><v>-42</v></c><c r="AB5"><v><![CDATA[7]]></v></c></row>
<x:row r="6"><x:c r="B6"><x:v>6</x:v></x:c></x:row>
<row><c><v>10</v></c><c><v>11</v></c></row>
</sheetData></worksheet>`;

function scan(chunks: string[], maxColumns?: number): string[] {
  const seen: string[] = [];
  const scanner = new SheetXmlScanner(
    {
      cell: (row: number, col: number, value: Exclude<CellValue, null>) =>
        seen.push(`${row},${col}=${value}`),
      rowEnd: (row: number) => seen.push(`end ${row}`),
    },
    ["zero", "one"],
    maxColumns,
  );
  for (const c of chunks) scanner.write(c);
  scanner.end();
  return seen;
}

Deno.test("SheetXmlScanner reads shared, inline, rich, boolean, error, formula, CDATA and prefixed cells", () => {
  deepEqual(scan([SHEET]), [
    "0,0=one",
    "0,2=0.0015",
    "0,3=true",
    "end 0",
    "1,1=a & b <c> é",
    "1,2=rich text",
    "end 1",
    "4,26=-42",
    "4,27=7",
    "end 4",
    "5,1=6",
    "end 5",
    "6,0=10",
    "6,1=11",
    "end 6",
  ]);
});

Deno.test("SheetXmlScanner gives the same cells wherever the text is cut, in two pieces or in many", () => {
  const whole = scan([SHEET]);
  for (let cut = 1; cut < SHEET.length; cut++) {
    deepEqual(scan([SHEET.slice(0, cut), SHEET.slice(cut)]), whole, `cut at ${cut}`);
  }
  for (const size of [1, 2, 3, 5, 7, 13]) {
    const pieces = Array.from(
      { length: Math.ceil(SHEET.length / size) },
      (_, i) => SHEET.slice(i * size, (i + 1) * size),
    );
    deepEqual(scan(pieces), whole, `pieces of ${size}`);
  }
});

Deno.test("SheetXmlScanner skips columns at or past maxColumns, and rows left with none", () => {
  deepEqual(scan([SHEET], 2), [
    "0,0=one",
    "end 0",
    "1,1=a & b <c> é",
    "end 1",
    "5,1=6",
    "end 5",
    "6,0=10",
    "6,1=11",
    "end 6",
  ]);
});
