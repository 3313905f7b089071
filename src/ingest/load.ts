/**
 * From a file on disk to rows in the database, exactly once: hash, dedupe by content, read, detect the
 * layout, and write the ledger row plus its points in one transaction. A file that cannot be read goes to
 * quarantine with a reason code; the caller's run goes on.
 */
import { BIGINT, DOUBLE, type DuckDBType, INTEGER, timestampValue, VARCHAR } from "@duckdb/node-api";
import { createHash } from "node:crypto";
import { basename, join, resolve } from "node:path";
import type { Database } from "../db/database.ts";
import { CHUNK_ROWS, type ChunkColumn, ColumnChunk } from "../db/column_chunk.ts";
import { parseFileName } from "./filename.ts";
import type { ParsedWorkbook } from "./layouts/trim_layout.ts";
import type { ParsedFinalTest } from "./layouts/final_test_layout.ts";
import { excelSerialToDate } from "./layouts/columns.ts";
import { ReadError, type ReadErrorCode } from "./readers/workbook.ts";
import { CFB_MAGIC, type ParsedFile, type ReadRequest, stagesOf, startsWith } from "./parsed.ts";
import { moveWithoutOverwrite } from "../fs.ts";
import { collectGarbage } from "../memory/gate.ts";

/** Bumped whenever a change to the readers or layouts would load a file differently. */
export const PARSER_VERSION = "1.1.0";

export type { ParsedFile };

/** Reads a file into points: in this thread, or in the parse worker under a deadline and a memory ceiling. */
export type FileReader = (request: ReadRequest) => Promise<ParsedFile>;

export interface LoadOptions {
  /** Where unreadable files go, in a folder per reason code. */
  quarantineDir: string;
  /** `move` takes the file out of the inbox; `copy` leaves the original where it is. */
  quarantineMode?: "move" | "copy";
  /** Points appended between Appender flushes (bounds the Appender's buffer). */
  flushRows?: number;
  /**
   * Runs inside the file's transaction after its rows are appended (the pipeline analyses the tracks
   * here, from the parsed data), so a file and its verdicts commit together.
   */
  afterLoad?: (loaded: { fileId: number; model: string | null; parsed: ParsedFile }) => Promise<void>;
  /** The quarantined ledger row this file is a retry of (`lta reprocess`): it takes that row's place. */
  replaces?: number;
  /** How the file is read (default: in this thread). */
  read?: FileReader;
}

export type LoadOutcome =
  & { fileId: number; path: string; sha256: string }
  & (
    | {
      kind: "loaded";
      fileKind: ParsedFile["kind"];
      points: number;
      tracks: number;
      skippedRows: number;
      model: string | null;
    }
    | { kind: "duplicate" }
    | { kind: "quarantined"; code: ReadErrorCode | "read_error"; reason: string }
  );

/** One reused chunk per table for the process. */
const appendChunks = new Map<string, ColumnChunk>();
const COLLECT_AFTER_POINTS = 100_000;

/**
 * Ledger rows with this content (`same_content`) or this file name. Each match comes back as one BIGINT
 * (file id, loaded, same content): every column a result hands to JS is two N-API objects whose
 * bookkeeping Deno never frees (48 bytes each), so a match costs 4 such objects instead of 9.
 */
async function ledgerMatches(
  db: Database,
  sha256: string,
  fileName: string,
): Promise<Array<{ file_id: number; loaded: boolean; same_content: boolean }>> {
  const rows = await db.rowsOf(
    `SELECT file_id * 4 + (status = 'loaded')::INT * 2 + 1 AS k FROM files WHERE sha256 = $1
     UNION ALL
     SELECT file_id * 4 + (status = 'loaded')::INT * 2 FROM files WHERE file_name = $2`,
    [sha256, fileName],
  );
  return rows.map(({ k }) => {
    const packed = Number(k);
    return { file_id: Math.floor(packed / 4), loaded: (packed & 2) !== 0, same_content: (packed & 1) !== 0 };
  });
}

/**
 * The file changed (size or mtime) between its claim and the end of its read: not the file's fault, so it
 * is not quarantined; the service reads it again once it is stable.
 */
export class SourceChanged extends Error {
  constructor(path: string) {
    super(`${basename(path)} changed while it was read; it is read again once it stops changing`);
    this.name = "SourceChanged";
  }
}

async function assertUnchanged(path: string, before: Deno.FileInfo): Promise<void> {
  const now = await Deno.stat(path).catch(() => null);
  if (!now || now.size !== before.size || now.mtime?.getTime() !== before.mtime?.getTime()) {
    throw new SourceChanged(path);
  }
}

/**
 * Loads one file; never throws for a bad file (it is quarantined), only for database and environment
 * failures (`SourceChanged`, a file it may not read).
 */
export async function loadFile(db: Database, given: string, options: LoadOptions): Promise<LoadOutcome> {
  const path = resolve(given);
  const fileName = basename(path);
  const info = await Deno.stat(path);
  const { sha256, head, whole } = await hashFile(path);

  // Two indexed lookups: this content under any name, and loaded versions under this name.
  const seen = await ledgerMatches(db, sha256, fileName);
  const sameContent = seen.filter((r) => r.same_content);
  const known = sameContent.find((r) => r.loaded) ?? sameContent[0];
  const version = seen.filter((r) => !r.same_content && r.loaded).length + 1;
  if (known?.loaded) {
    const fileId = known.file_id;
    if (options.replaces !== undefined) {
      // The retried file turned out to be loaded already: its quarantine record is resolved.
      await db.exec("DELETE FROM files WHERE file_id = $1 AND status = 'quarantined'", [
        options.replaces,
      ]);
    }
    await db.execOf(
      "INSERT INTO duplicates VALUES ($1, $2, $3, $4, $5::TIMESTAMP, $6, now()::TIMESTAMP)",
      [path, fileName, sha256, info.size, isoTimestamp(info.mtime), fileId],
    );
    return { kind: "duplicate", fileId, path, sha256 };
  }
  const retryOf = options.replaces ?? known?.file_id ?? null;

  let parsed: ParsedFile;
  try {
    // In this thread only when no parse process was given (tests, tools): the readers load on first use.
    const read = options.read ?? (await import("./read_file.ts")).readWorkbookFile;
    parsed = await read({ path, fileName, head, whole, size: info.size });
  } catch (e) {
    // A file rewritten while it was read failed for that alone: it is read again as its new version.
    await assertUnchanged(path, info);
    const code = e instanceof ReadError ? e.code : "read_error";
    const reason = e instanceof ReadError
      ? e.message
      : `${fileName}: unexpected read failure: ${(e as Error).message}`;
    const stored = await quarantine(path, fileName, code, reason, options);
    const fileId = await recordQuarantine(db, {
      path,
      fileName,
      sha256,
      size: info.size,
      mtime: info.mtime,
      code,
      reason,
      retryOf,
      stored,
    });
    return { kind: "quarantined", fileId, path, sha256, code, reason };
  }

  // The bytes hashed and read must be the file's: a station still writing it would load a torn version.
  await assertUnchanged(path, info);
  const named = parseFileName(fileName.replace(/^(rout_|copy of )/i, ""));
  const stages = stagesOf(parsed);
  const sheetDate = parsed.kind === "final_test"
    ? parsed.sheetDate
    : excelSerialToDate(parsed.tracks.map((t) => t.meta.dateSerial).find((d) => d !== null) ?? null);
  const testDate = named.testDate ?? sheetDate ?? info.mtime ?? new Date();
  const points = stages.reduce((n, s) => n + s.data.position.length, 0);
  const skipped = stages.reduce((n, s) => n + s.data.skippedRows, 0);
  // A big sheet's grid is garbage now: tens of MB of typed arrays that V8 frees only when it collects,
  // and the append and the analysis are about to need as much again.
  if (points >= COLLECT_AFTER_POINTS) collectGarbage();

  const model = named.model ?? parsed.modelCell;
  // Taken before the transaction: an id from the sequence is never handed out twice, even when the file's
  // transaction rolls back.
  const fileId = retryOf ?? await reservedFileId(db);
  await db.transaction(async () => {
    if (retryOf !== null) await db.exec("DELETE FROM files WHERE file_id = $1", [retryOf]);
    await db.execOf(
      `INSERT INTO files (file_id, path, file_name, sha256, size_bytes, source_mtime, version, status, system, model,
         serial, test_date, trim_note, n_tracks, n_points, skipped_rows, ingested_at, parser_version, kind)
       VALUES ($1, $2, $3, $4, $5, $6::TIMESTAMP, $7, 'loaded', $8, $9, $10,
               $11::TIMESTAMP, $12, $13, $14, $15, now()::TIMESTAMP, $16, $17)`,
      [
        fileId,
        path,
        fileName,
        sha256,
        info.size,
        isoTimestamp(info.mtime),
        version,
        parsed.kind === "trim" ? parsed.system : null,
        model,
        named.serial ?? parsed.serialCell,
        isoTimestamp(testDate),
        named.trimNote,
        parsed.tracks.length,
        points,
        skipped,
        PARSER_VERSION,
        parsed.kind,
      ],
    );
    await appendPoints(db, fileId, stages, parsed.kind, options.flushRows ?? 50_000);
    if (points >= COLLECT_AFTER_POINTS) await db.evictCache();
    if (parsed.kind === "trim") await appendTrackMeta(db, fileId, parsed);
    else await appendFinalTests(db, fileId, parsed);
    await options.afterLoad?.({ fileId, model, parsed });
  });
  return {
    kind: "loaded",
    fileKind: parsed.kind,
    fileId,
    path,
    sha256,
    points,
    tracks: parsed.tracks.length,
    skippedRows: skipped,
    model,
  };
}

/** File ids taken from the sequence ahead, per database. */
const reservedIds = new WeakMap<Database, number[]>();
const RESERVE_IDS = 16;

/**
 * The next file id, from a block taken from `file_id_seq` in one statement. Reading each new id back from
 * its INSERT cost four more native objects a file than running the INSERT alone, and under Deno each leaves
 * its bookkeeping behind for good (docs/memory.md). Loaded and quarantined files draw from the same block,
 * so ids stay dense within a process; a restart skips what was left of its block (at most 15).
 */
async function reservedFileId(db: Database): Promise<number> {
  let ids = reservedIds.get(db);
  if (!ids?.length) {
    const rows = await db.rowsOf(`SELECT nextval('file_id_seq') AS id FROM range(${RESERVE_IDS})`, []);
    reservedIds.set(db, ids = rows.map((r) => Number(r.id)));
  }
  return ids.shift()!;
}

/**
 * The file's SHA-256 and its first bytes (which tell the format). A compound file is read whole, as its
 * reader needs it anyway (its sector map can point anywhere; trim .xls files are small); anything else is
 * hashed in chunks, so a big `.xlsx` is never held whole.
 */
async function hashFile(
  path: string,
): Promise<{ sha256: string; head: Uint8Array; whole: Uint8Array | null }> {
  using file = await Deno.open(path, { read: true });
  const chunk = new Uint8Array(256 * 1024);
  const first = await file.read(chunk);
  const head = chunk.slice(0, Math.min(first ?? 0, 8));
  if (startsWith(head, CFB_MAGIC)) {
    const whole = await Deno.readFile(path);
    return { sha256: createHash("sha256").update(whole).digest("hex"), head, whole };
  }
  const hash = createHash("sha256");
  for (let n = first; n !== null; n = await file.read(chunk)) hash.update(chunk.subarray(0, n));
  return { sha256: hash.digest("hex"), head, whole: null };
}

/** Trim stages go to `points` (with stage and sheet), Final Test points to `final_test_points`. */
async function appendPoints(
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

async function appendTrackMeta(db: Database, fileId: number, parsed: ParsedWorkbook) {
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
async function appendFinalTests(db: Database, fileId: number, parsed: ParsedFinalTest) {
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

async function recordQuarantine(
  db: Database,
  f: {
    path: string;
    fileName: string;
    sha256: string;
    size: number;
    mtime: Date | null;
    code: string;
    reason: string;
    retryOf: number | null;
    stored: string;
  },
): Promise<number> {
  if (f.retryOf !== null) {
    await db.exec(
      `UPDATE files SET reason_code = $2, reason = $3, quarantine_path = $4, ingested_at = now()::TIMESTAMP,
         parser_version = $5
       WHERE file_id = $1`,
      [f.retryOf, f.code, f.reason, f.stored, PARSER_VERSION],
    );
    return f.retryOf;
  }
  const fileId = await reservedFileId(db);
  await db.exec(
    `INSERT INTO files (file_id, path, file_name, sha256, size_bytes, source_mtime, version, status, reason_code,
       reason, quarantine_path, ingested_at, parser_version)
     VALUES ($1, $2, $3, $4, $5, $6::TIMESTAMP, 1, 'quarantined', $7, $8, $9, now()::TIMESTAMP, $10)`,
    [
      fileId,
      f.path,
      f.fileName,
      f.sha256,
      f.size,
      isoTimestamp(f.mtime),
      f.code,
      f.reason,
      f.stored,
      PARSER_VERSION,
    ],
  );
  return fileId;
}

/** Puts the file in `<quarantineDir>/<code>/`, with a `.reason.txt` beside it, never overwriting. */
async function quarantine(
  path: string,
  fileName: string,
  code: string,
  reason: string,
  options: LoadOptions,
): Promise<string> {
  const dir = join(options.quarantineDir, code);
  if (path.startsWith(dir)) return path;
  const target = await moveWithoutOverwrite(path, join(dir, fileName), options.quarantineMode === "copy");
  await Deno.writeTextFile(`${target}.reason.txt`, `${code}\n${reason}\n`);
  return target;
}

function isoTimestamp(d: Date | null): string | null {
  return d ? d.toISOString().replace("T", " ").replace("Z", "") : null;
}
