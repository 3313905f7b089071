/**
 * Non-finite numbers in a stage's points. A position or error that is infinite (`1e999`, text `Infinity`,
 * an IEEE infinity in an `.xls` cell) or undefined (∞ − ∞) is no measurement: the file is quarantined as
 * `non_finite_value`, naming the sheet and cell, rather than failing inside the database or poisoning
 * every later SPC sum. A NaN *cell* is a blank by the reading rules (docs/domain.md) and never reaches here.
 */
import { cellName } from "./readers/sheet_xml.ts";
import { ReadError } from "./readers/workbook.ts";
import type { ColumnMap, StageData } from "./layouts/columns.ts";

/** The columns checked: position and error must be finite; the others finite or blank. */
const CHECKED = ["position", "error", "upper", "lower", "measured", "theory"] as const;
const REQUIRED = new Set<string>(["position", "error"]);

/** Throws `non_finite_value` for the first non-finite point value of `stages`. */
export function assertFinite(stages: Array<{ data: StageData }>, fileName: string): void {
  for (const { data } of stages) {
    for (const column of CHECKED) {
      const values = data[column];
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (Number.isFinite(v) || (Number.isNaN(v) && !REQUIRED.has(column))) continue;
        const col = data.columns?.[column as keyof ColumnMap];
        const where = col === undefined || col < 0
          ? `row ${data.rowIndex[i] + 1}`
          : `cell ${cellName(data.rowIndex[i], col)}`;
        throw new ReadError(
          "non_finite_value",
          `${fileName}: sheet "${data.sheet}" ${where}: the ${column} is ${v} (a point needs a finite number)`,
        );
      }
    }
  }
}
