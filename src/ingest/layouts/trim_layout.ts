/**
 * Layout detection and per-track extraction for the two trim-station layouts of docs/domain.md:
 * System A ("DLTS", `SEC1 TRK1 0` / `SEC1 TRK1 1 TRM1` sheets) and System B ("LTS", `test` / `Trim N` /
 * `Lin Error`). Sheets are read one at a time; only the chosen data sheets are decoded.
 */
import { ReadError, type WorkbookReader } from "../readers/workbook.ts";
import {
  cellAt,
  type ColumnMap,
  extractStage,
  metaNumber,
  readGrid,
  type SheetGrid,
  type StageData,
  textOf,
} from "./columns.ts";

export type TrimSystem = "A" | "B";

/** Per-track metadata read from the data sheets' fixed cells. */
export interface TrackMeta {
  unitLength: number | null;
  measuredAngle: number | null;
  untrimmedResistance: number | null;
  trimmedResistance: number | null;
  testVolts: number | null;
  stationCompensation: number | null;
  /** Excel date serial of the measurement (System A B6). */
  dateSerial: number | null;
  trimPasses: number;
}

/** One track: its stages (the data stage is `trimmed` when a trimmed sheet exists) and metadata. */
export interface ParsedTrack {
  trackId: string;
  trimmed: StageData | null;
  untrimmed: StageData | null;
  meta: TrackMeta;
}

export interface ParsedWorkbook {
  kind: "trim";
  system: TrimSystem;
  tracks: ParsedTrack[];
  /** The sheets chosen as data sheets (for messages). */
  dataSheets: string[];
  /** Model and serial as written in the workbook (System A B1/B2), used when the name has none. */
  modelCell: string | null;
  serialCell: string | null;
}

const SYSTEM_A_COLUMNS: ColumnMap = {
  measured: 3,
  index: 4,
  theory: 5,
  error: 6,
  position: 7,
  upper: 8,
  lower: 9,
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

/** Which layout the sheet names show, or `null` when the workbook is not a trim file. */
export function detectSystem(sheetNames: readonly string[]): TrimSystem | null {
  if (sheetNames.some((s) => s.includes("SEC1 TRK"))) return "A";
  if (sheetNames.some((s) => /^(test|lin error)$/i.test(s.trim()))) return "B";
  return null;
}

/** Reads the trim data of a workbook; throws `ReadError` (`unknown_layout`, `no_data`) when there is none. */
export async function parseTrimWorkbook(book: WorkbookReader, name: string): Promise<ParsedWorkbook> {
  const system = detectSystem(book.sheetNames);
  if (!system) {
    throw new ReadError(
      "unknown_layout",
      `${name}: no sheet named like "SEC1 TRK1 …" (System A) or "test"/"Lin Error" (System B); sheets are ${
        book.sheetNames.map((s) => `"${s}"`).join(", ")
      }`,
    );
  }
  const parsed = system === "A" ? await parseSystemA(book) : await parseSystemB(book);
  if (!parsed.tracks.some((t) => (t.trimmed ?? t.untrimmed)?.position.length)) {
    const sheets = [...new Set(parsed.tracks.flatMap((t) => [t.trimmed?.sheet, t.untrimmed?.sheet]))].filter(
      Boolean,
    );
    throw new ReadError(
      "no_data",
      `${name}: System ${system} layout but no numeric position in the first 20 rows of ${
        sheets.length ? sheets.map((s) => `"${s}"`).join(", ") : "any data sheet"
      } (position column ${system === "A" ? "H" : "E"})`,
    );
  }
  return parsed;
}

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

function positiveOrNull(v: number | null): number | null {
  return v !== null && v >= 0 ? v : null;
}

function maxTheory(stage: StageData | null): number | null {
  let max: number | null = null;
  for (const t of stage?.theory ?? []) if (!Number.isNaN(t) && t !== 0 && (max === null || t > max)) max = t;
  return max;
}
