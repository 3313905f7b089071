/**
 * System A ("DLTS"): a sheet pair per track, `SEC1 TRK1 0` (untrimmed) and `SEC1 TRK1 1 TRM1` (trimmed, one
 * per trim pass), with model, serial, date and resistances in fixed cells of column B (docs/domain.md).
 */
import type { WorkbookReader } from "../readers/workbook.ts";
import {
  cellAt,
  type ColumnMap,
  extractStage,
  metaNumber,
  readGrid,
  type StageData,
  textOf,
} from "./columns.ts";
import {
  type LayoutRow,
  maxTheory,
  type ParsedWorkbook,
  positiveOrNull,
  type TrimLayout,
} from "./trim_layout.ts";

const ROW: LayoutRow = {
  system: "A",
  station: "DLTS",
  description: "sheets SEC1 TRKn 0 (untrimmed) and SEC1 TRKn 1 TRMm (trimmed), a pair per track",
};

const SYSTEM_A_COLUMNS: ColumnMap = {
  measured: 3,
  index: 4,
  theory: 5,
  error: 6,
  position: 7,
  upper: 8,
  lower: 9,
};

const SYSTEM_A_SHEET = /TRK(\d+)(?:[ _](\d+))?(?:\s*TRM(\d*))?\s*$/i;

async function parseSystemA(book: WorkbookReader): Promise<ParsedWorkbook> {
  const byTrack = new Map<string, { untrimmed?: string; trimmed?: string; passes: number }>();
  for (const sheet of book.sheetNames) {
    const m = SYSTEM_A_SHEET.exec(sheet.toUpperCase());
    if (!m) continue;
    const trackId = `TRK${Number(m[1])}`;
    const entry = byTrack.get(trackId) ?? { passes: 0 };
    byTrack.set(trackId, entry);
    if (m[3] !== undefined) {
      entry.trimmed = sheet;
      entry.passes++;
    } else if (m[2] !== undefined && Number(m[2]) === 0) {
      entry.untrimmed ??= sheet;
    }
  }
  const result: ParsedWorkbook = {
    kind: "trim",
    system: "A",
    layout: ROW,
    tracks: [],
    dataSheets: [],
    modelCell: null,
    serialCell: null,
  };
  for (const [trackId, sheets] of [...byTrack].sort(([a], [b]) => a.localeCompare(b))) {
    const dataSheet = sheets.trimmed ?? sheets.untrimmed;
    if (!dataSheet) continue;
    result.dataSheets.push(dataSheet);
    const data = await readGrid(book, dataSheet);
    const stage = extractStage(data, SYSTEM_A_COLUMNS, true);
    let untrimmed: StageData | null = null;
    let untrimmedResistance: number | null = null;
    if (sheets.trimmed && sheets.untrimmed) {
      const grid = await readGrid(book, sheets.untrimmed);
      untrimmed = extractStage(grid, SYSTEM_A_COLUMNS, false);
      untrimmedResistance = metaNumber(grid, 9, 1);
    } else if (!sheets.trimmed) {
      untrimmedResistance = metaNumber(data, 9, 1);
    }
    result.modelCell ??= textOf(cellAt(data, 0, 1));
    result.serialCell ??= textOf(cellAt(data, 1, 1));
    result.tracks.push({
      trackId,
      trimmed: sheets.trimmed ? stage : null,
      untrimmed: sheets.trimmed ? untrimmed : stage,
      meta: {
        unitLength: positiveOrNull(metaNumber(data, 7, 1)),
        measuredAngle: metaNumber(data, 8, 1),
        untrimmedResistance,
        trimmedResistance: sheets.trimmed ? metaNumber(data, 9, 1) : null,
        testVolts: metaNumber(data, 12, 1) ?? maxTheory(stage),
        stationCompensation: metaNumber(data, 6, 1),
        dateSerial: metaNumber(data, 5, 1),
        trimPasses: sheets.passes,
      },
    });
  }
  return result;
}

export const SYSTEM_A: TrimLayout = {
  ...ROW,
  positionColumn: "H",
  matches: (sheetNames) => sheetNames.some((s) => s.includes("SEC1 TRK")),
  parse: parseSystemA,
};
