/** Baseline for the 1M-row bench: exceljs's stock streaming reader counting rows. Prints JSON. */
import ExcelJS from "exceljs";

const [path] = Deno.args;
const started = performance.now();
const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, { worksheets: "emit", sharedStrings: "cache" });
// The streaming reader emits sheets before it knows their names: count each, report the largest.
let rows = 0;
for await (const ws of reader) {
  let n = 0;
  for await (const _ of ws) n++;
  rows = Math.max(rows, n);
}
console.log(JSON.stringify({ rows, seconds: (performance.now() - started) / 1000 }));
