/**
 * System B ("LTS"): one track in `test` (untrimmed) and `Lin Error` or the last `Trim N` (trimmed), with
 * unit length and resistances in fixed cells and the compensation on `Lin Chart` (docs/domain.md).
 */
import type { WorkbookReader } from "../readers/workbook.ts";
import {
  type ColumnMap,
  extractStage,
  metaNumber,
  readGrid,
  type SheetGrid,
  type StageData,
} from "./columns.ts";
import {
  type LayoutRow,
  maxTheory,
  type ParsedWorkbook,
  positiveOrNull,
  type TrimLayout,
} from "./trim_layout.ts";

const ROW: LayoutRow = {
  system: "B",
  station: "LTS",
  description: "sheets test (untrimmed) and Lin Error or Trim N (trimmed), one track",
};

const SYSTEM_B_COLUMNS: ColumnMap = {
  measured: 0,
  index: 1,
  theory: 2,
  error: 3,
  position: 4,
  upper: 5,
  lower: 6,
};

async function parseSystemB(book: WorkbookReader): Promise<ParsedWorkbook> {
  const find = (re: RegExp) => book.sheetNames.find((s) => re.test(s.trim()));
  const testSheet = find(/^test$/i);
  const linError = find(/^lin error$/i);
  const trims = book.sheetNames
    .map((s) => ({ s, n: /^trim (\d+)$/i.exec(s.trim())?.[1] }))
    .filter((t) => t.n !== undefined)
    .sort((a, b) => Number(a.n) - Number(b.n));
  const trimmedSheet = linError ?? trims.at(-1)?.s;
  const result: ParsedWorkbook = {
    kind: "trim",
    system: "B",
    layout: ROW,
    tracks: [],
    dataSheets: [],
    modelCell: null,
    serialCell: null,
  };
  const dataSheet = trimmedSheet ?? testSheet;
  if (!dataSheet) return result;
  result.dataSheets.push(dataSheet);
  const data = await readGrid(book, dataSheet);
  const stage = extractStage(data, SYSTEM_B_COLUMNS, true);
  let untrimmed: StageData | null = null;
  let testGrid: SheetGrid | null = null;
  if (trimmedSheet && testSheet) {
    testGrid = await readGrid(book, testSheet);
    untrimmed = extractStage(testGrid, SYSTEM_B_COLUMNS, false);
  } else if (!trimmedSheet) {
    testGrid = data;
  }
  const chartSheet = find(/^lin chart$/i);
  const compensation = chartSheet ? metaNumber(await readGrid(book, chartSheet, 15), 0, 14) : null;
  const unitLength = positiveOrNull(metaNumber(data, 0, 11));
  result.tracks.push({
    trackId: "TRK1",
    trimmed: trimmedSheet ? stage : null,
    untrimmed: trimmedSheet ? untrimmed : stage,
    meta: {
      unitLength,
      measuredAngle: (testGrid ? metaNumber(testGrid, 0, 10) : null) ?? unitLength,
      untrimmedResistance: testGrid ? metaNumber(testGrid, 0, 17) : null,
      trimmedResistance: trimmedSheet ? metaNumber(data, 0, 17) : null,
      testVolts: maxTheory(stage),
      stationCompensation: compensation,
      dateSerial: null,
      trimPasses: trims.length,
    },
  });
  return result;
}

export const SYSTEM_B: TrimLayout = {
  ...ROW,
  positionColumn: "E",
  matches: (sheetNames) => sheetNames.some((s) => /^(test|lin error)$/i.test(s.trim())),
  parse: parseSystemB,
};
