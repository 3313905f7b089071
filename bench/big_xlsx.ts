/**
 * A System B trim workbook whose `Lin Error` sheet holds `rows` points in four numeric columns (D error,
 * E position, F upper, G lower), written with exceljs's streaming writer so the generator never holds it.
 */
import ExcelJS from "exceljs";

export async function writeBigXlsx(path: string, rows: number): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: path,
    useSharedStrings: false,
    useStyles: false,
  });
  const lin = wb.addWorksheet("Lin Error");
  for (let i = 0; i < rows; i++) {
    const p = i * 0.001;
    // A smooth wander inside ±0.05 with a little noise: a passing track, however long.
    const e = 0.01 * Math.sin(i / 5000) + 0.002 * Math.sin(i * 0.37);
    lin.addRow([null, null, null, e, p, 0.05, -0.05]).commit();
  }
  await lin.commit();
  const test = wb.addWorksheet("test");
  for (let i = 0; i < 100; i++) {
    test.addRow([null, null, null, 0.02 * Math.sin(i / 7), i * 0.001, 0.05, -0.05]).commit();
  }
  await test.commit();
  await wb.commit();
}

if (import.meta.main) {
  const [path, rows] = Deno.args;
  const t = performance.now();
  await writeBigXlsx(path, Number(rows ?? 1_000_000));
  console.error(
    `wrote ${path} in ${((performance.now() - t) / 1000).toFixed(1)} s, ${
      (Deno.statSync(path).size / 1e6).toFixed(1)
    } MB`,
  );
}
