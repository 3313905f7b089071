/** One `tracks` row per analysed track, through DuckDB's Appender (inside the caller's transaction). */
import { type DuckDBAppender, timestampValue } from "@duckdb/node-api";
import type { Database } from "../db/database.ts";
import type { OffsetSearch } from "./offset.ts";
import { ANALYSIS_VERSION, type TrackResult } from "./track.ts";

/** What a track's row takes from its metadata, beside its result. */
export interface TrackRow {
  fileId: number;
  trackId: string;
  hasTrimmed: boolean;
  untrimmedResistance: number | null;
  trimmedResistance: number | null;
  unitLength: number | null;
  override: number | null;
}

/** Appends one `tracks` row per result (inside the caller's transaction). */
export async function appendResults(
  db: Database,
  tracks: TrackRow[],
  results: TrackResult[],
  offsetSearch: OffsetSearch,
): Promise<void> {
  const appender = await db.appender("tracks");
  const now = timestampValue(BigInt(Date.now()) * 1000n);
  tracks.forEach((t, i) => appendResult(appender, t, results[i], offsetSearch, now));
  appender.flushSync();
}

function appendResult(
  a: DuckDBAppender,
  t: TrackRow,
  r: TrackResult,
  offsetSearch: OffsetSearch,
  now: ReturnType<typeof timestampValue>,
): void {
  const num = (v: number | null) => v === null || !Number.isFinite(v) ? a.appendNull() : a.appendDouble(v);
  const int = (v: number | null) => v === null ? a.appendNull() : a.appendInteger(v);
  const bool = (v: boolean | null) => v === null ? a.appendNull() : a.appendBoolean(v);
  const text = (v: string | null) => v === null ? a.appendNull() : a.appendVarchar(v);
  a.appendBigInt(BigInt(t.fileId));
  a.appendVarchar(t.trackId);
  a.appendVarchar(t.hasTrimmed ? "trimmed" : "untrimmed");
  a.appendInteger(r.nPoints);
  num(r.travelLength);
  num(r.linearitySpec);
  num(r.sigmaGradient);
  num(r.sigmaThreshold);
  text(r.thresholdSource);
  bool(r.sigmaPass);
  num(r.optimalOffset);
  num(r.linearityError);
  bool(r.linearityPass);
  int(r.failPoints);
  int(r.rawFailPoints);
  num(r.rawLinearityError);
  num(r.marginToSpec);
  num(r.maxViolation);
  num(r.avgViolation);
  bool(r.nearMiss);
  num(t.unitLength);
  num(t.untrimmedResistance);
  num(t.trimmedResistance);
  num(r.resistanceChangePct);
  num(r.trimImprovementPct);
  num(r.failureProbability);
  text(r.riskCategory);
  a.appendVarchar(r.status);
  text(r.statusReason);
  a.appendVarchar(offsetSearch);
  num(r.other?.offset ?? null);
  int(r.other?.failPoints ?? null);
  text(r.other?.status ?? null);
  a.appendVarchar(ANALYSIS_VERSION);
  a.appendTimestamp(now);
  a.endRow();
}
