/**
 * A loaded file's rows through DuckDB's Appender: points by the chunk, track metadata, Final Test rows.
 * Each runs inside the file's transaction.
 */
import { BIGINT, DOUBLE, type DuckDBType, INTEGER, timestampValue, VARCHAR } from "@duckdb/node-api";
import type { Database } from "../db/database.ts";
import { CHUNK_ROWS, type ChunkColumn, ColumnChunk } from "../db/column_chunk.ts";
import type { ParsedWorkbook } from "./layouts/trim_layout.ts";
import type { ParsedFinalTest } from "./layouts/final_test_layout.ts";
import { excelSerialToDate } from "./layouts/columns.ts";
import { type ParsedFile, stagesOf } from "./parsed.ts";

/** One reused chunk per table for the process. */
const appendChunks = new Map<string, ColumnChunk>();

/** Trim stages go to `points` (with stage and sheet), Final Test points to `final_test_points`. */
export async function appendPoints(
  db: Database,
  fileId: number,
  stages: ReturnType<typeof stagesOf>,
  kind: ParsedFile["kind"],
  flushRows: number,
) {
  const trim = kind === "trim";
  const table = trim ? "points" : "final_test_points";
  const appender = await db.appender(table);
  let chunk = appendChunks.get(table);
  if (!chunk) {
    const types = [
      BIGINT,
      VARCHAR,
      ...(trim ? [VARCHAR, VARCHAR] : []),
      INTEGER,
      ...Array<DuckDBType>(7).fill(DOUBLE),
    ];
    appendChunks.set(table, chunk = new ColumnChunk(types));
  }
  const fid = BigInt(fileId);
  let pending = 0;
  for (const { trackId, stage, data: s } of stages) {
    const columns: ChunkColumn[] = [
      { bigint: fid },
      { text: trackId },
      ...(trim ? [{ text: stage }, { text: s.sheet }] : []),
      { integer: s.rowIndex },
      ...[s.position, s.error, s.upper, s.lower, s.measured, s.theory, s.index].map((d) => ({ double: d })),
    ];
    for (let from = 0; from < s.position.length; from += CHUNK_ROWS) {
      const rows = Math.min(CHUNK_ROWS, s.position.length - from);
      chunk.append(appender, columns, from, rows);
      pending += rows;
      if (pending >= flushRows) {
        appender.flushSync();
        pending = 0;
      }
    }
  }
  appender.flushSync();
}

export async function appendTrackMeta(db: Database, fileId: number, parsed: ParsedWorkbook) {
  const a = await db.appender("track_meta");
  for (const t of parsed.tracks) {
    const data = (t.trimmed ?? t.untrimmed)!;
    const untrimmed = t.trimmed ? t.untrimmed : null;
    a.appendBigInt(BigInt(fileId));
    a.appendVarchar(t.trackId);
    a.appendVarchar(data.sheet);
    if (untrimmed) a.appendVarchar(untrimmed.sheet);
    else a.appendNull();
    a.appendBoolean(t.trimmed !== null);
    a.appendInteger(data.position.length);
    a.appendInteger(untrimmed?.position.length ?? 0);
    a.appendInteger(data.skippedRows + (untrimmed?.skippedRows ?? 0));
    a.appendInteger(t.meta.trimPasses);
    for (
      const v of [
        t.meta.unitLength,
        t.meta.measuredAngle,
        t.meta.untrimmedResistance,
        t.meta.trimmedResistance,
        t.meta.testVolts,
        t.meta.stationCompensation,
      ]
    ) appendMaybe(a, v);
    const date = excelSerialToDate(t.meta.dateSerial);
    if (date) a.appendTimestamp(timestampValue(BigInt(date.getTime()) * 1000n));
    else a.appendNull();
    a.endRow();
  }
  a.flushSync();
}

/** The bench's metadata per track; the pipeline's analysis fills in the verdict columns. */
export async function appendFinalTests(db: Database, fileId: number, parsed: ParsedFinalTest) {
  for (const t of parsed.tracks) {
    await db.exec(
      `INSERT INTO final_tests (file_id, track_id, format, sheet, n_points, position_column, skipped_rows,
         compensation, reported_linearity, reported_tests)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        fileId,
        t.trackId,
        parsed.format,
        t.points.sheet,
        t.points.position.length,
        t.positionColumn,
        t.points.skippedRows,
        t.compensation,
        t.reportedLinearity,
        Object.keys(t.reportedTests).length ? JSON.stringify(t.reportedTests) : null,
      ],
    );
  }
}

function appendMaybe(appender: { appendDouble(v: number): void; appendNull(): void }, v: number | null) {
  if (v === null || !Number.isFinite(v)) appender.appendNull();
  else appender.appendDouble(v);
}
