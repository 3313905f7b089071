/**
 * What a trim-station layout reads a workbook into, and what a layout is: one per station type, each in a
 * file of its own beside this one (`system_a.ts`, `system_b.ts`) and listed in `registry.ts`
 * (docs/domain.md describes both). Sheets are read one at a time; only the chosen data sheets are decoded.
 */
import type { WorkbookReader } from "../readers/workbook.ts";
import type { StageData } from "./columns.ts";

/** A layout's id as stored in `files.system` (`station_layouts.system`). */
export type TrimSystem = string;

/** A layout's row in `station_layouts`: what a `files.system` value stands for. */
export interface LayoutRow {
  system: TrimSystem;
  /** The station software that writes it, e.g. "DLTS". */
  station: string;
  /** How to recognise its files, for people reading the table. */
  description: string;
}

/** One trim-station layout: how to recognise its workbooks and read their tracks. */
export interface TrimLayout extends LayoutRow {
  /** The column that holds positions, named in "no data" messages. */
  positionColumn: string;
  /** Whether the sheet names are this layout's. */
  matches(sheetNames: readonly string[]): boolean;
  /** The tracks of a workbook this layout matched. */
  parse(book: WorkbookReader): Promise<ParsedWorkbook>;
}

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
  /** The layout's lookup row, stored once per database (files carry only `system`). */
  layout: LayoutRow;
  tracks: ParsedTrack[];
  /** The sheets chosen as data sheets (for messages). */
  dataSheets: string[];
  /** Model and serial as written in the workbook (System A B1/B2), used when the name has none. */
  modelCell: string | null;
  serialCell: string | null;
}

/** A length or angle the station left negative means "not measured". */
export function positiveOrNull(v: number | null): number | null {
  return v !== null && v >= 0 ? v : null;
}

/** The largest theory value: the test voltage where the sheet does not say it. */
export function maxTheory(stage: StageData | null): number | null {
  let max: number | null = null;
  for (const t of stage?.theory ?? []) if (!Number.isNaN(t) && t !== 0 && (max === null || t > max)) max = t;
  return max;
}
