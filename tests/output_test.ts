/** How the CLI lays out tables for a terminal. */
import { equal, ok } from "node:assert/strict";
import { formatRows } from "../src/db/values.ts";

Deno.test("a table wider than 120 columns moves its long cells to numbered notes below it", () => {
  const note = "acknowledged: worn nozzle on station 3, replaced and re-verified against the golden part";
  const text = formatRows(
    ["alarm_id", "model", "rule", "cause"],
    [[1, "8340-1", "nelson_1", note], [2, "2475-10", "cusum_upper", "short"]],
    "table",
  );
  const lines = text.split("\n");
  ok(lines.every((l) => l.length <= 120), text);
  ok(lines.includes(`[1] ${note}`), text);
  ok(lines.some((l) => l.includes("short")), "short cells stay in place");
  equal(lines.at(-2), "(2 rows)");
});

Deno.test("a narrow table keeps every cell in place and right-aligns numbers", () => {
  const text = formatRows(["model", "cpk"], [["8340-1", 1.2345678], ["2475-10", 0.5]], "table");
  const lines = text.split("\n");
  equal(lines[2], "8340-1   1.23457");
  equal(lines[3], "2475-10      0.5");
  equal(lines.at(-1), "(2 rows)");
});
