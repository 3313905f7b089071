/**
 * From a file on disk to rows in the database, exactly once: hash, dedupe by content, read, detect the
 * layout, and write the ledger row plus its points in one transaction. A file that cannot be read goes to
 * quarantine with a reason code; the caller's run goes on. The ledger's statements are in `ledger.ts`, the
 * Appender's in `append_rows.ts`, the move to quarantine in `quarantine.ts`.
 */
import { basename, resolve } from "node:path";
import type { Database } from "../db/database.ts";
import { parseFileName } from "./filename.ts";
import { excelSerialToDate } from "./layouts/columns.ts";
import { ReadError, type ReadErrorCode } from "./readers/workbook.ts";
import { type ParsedFile, type ReadRequest, stagesOf } from "./parsed.ts";
import { collectGarbage } from "../memory/gate.ts";
import {
  ensureLayout,
  insertLoadedFile,
  ledgerMatches,
  type LoadedRow,
  recordDuplicate,
  recordQuarantine,
  reservedFileId,
  type SourceRow,
} from "./ledger.ts";
import { appendFinalTests, appendPoints, appendTrackMeta } from "./append_rows.ts";
import { quarantine } from "./quarantine.ts";
import { assertUnchanged, hashFile } from "./source_file.ts";
import type { StationId } from "./station.ts";

export { PARSER_VERSION } from "./ledger.ts";
export { SourceChanged } from "./source_file.ts";
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
  /** The station and line that sent the file. */
  station?: StationId;
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

const COLLECT_AFTER_POINTS = 100_000;

/**
 * Loads one file; never throws for a bad file (it is quarantined), only for database and environment
 * failures (`SourceChanged`, a file it may not read).
 */
export async function loadFile(db: Database, given: string, options: LoadOptions): Promise<LoadOutcome> {
  const path = resolve(given);
  const fileName = basename(path);
  const info = await Deno.stat(path);
  const { sha256, head, whole } = await hashFile(path);
  const source: SourceRow = {
    path,
    fileName,
    sha256,
    size: info.size,
    mtime: info.mtime,
    station: options.station,
  };

  // Two indexed lookups: this content under any name, and loaded versions under this name.
  const seen = await ledgerMatches(db, sha256, fileName);
  const sameContent = seen.filter((r) => r.same_content);
  const known = sameContent.find((r) => r.loaded) ?? sameContent[0];
  if (known?.loaded) {
    await recordDuplicate(db, source, known.file_id, options.replaces);
    return { kind: "duplicate", fileId: known.file_id, path, sha256 };
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
    return await quarantined(db, source, e, retryOf, options);
  }
  // The bytes hashed and read must be the file's: a station still writing it would load a torn version.
  await assertUnchanged(path, info);
  const version = seen.filter((r) => !r.same_content && r.loaded).length + 1;
  const row = await loadedRow(db, source, parsed, version, retryOf);
  await writeLoaded(db, source, row, parsed, retryOf, options);
  return {
    kind: "loaded",
    fileKind: parsed.kind,
    fileId: row.fileId,
    path,
    sha256,
    points: row.points,
    tracks: row.tracks,
    skippedRows: row.skipped,
    model: row.model,
  };
}

/** Quarantines a file its reader refused, and records why. */
async function quarantined(
  db: Database,
  source: SourceRow,
  e: unknown,
  retryOf: number | null,
  options: LoadOptions,
): Promise<LoadOutcome> {
  const code = e instanceof ReadError ? e.code : "read_error";
  const reason = e instanceof ReadError
    ? e.message
    : `${source.fileName}: unexpected read failure: ${(e as Error).message}`;
  const stored = await quarantine(source.path, source.fileName, code, reason, options);
  const fileId = await recordQuarantine(db, { ...source, code, reason, retryOf, stored });
  return { kind: "quarantined", fileId, path: source.path, sha256: source.sha256, code, reason };
}

/** The ledger row of a file read whole: what its name and sheets say, its counts, and its id. */
async function loadedRow(
  db: Database,
  source: SourceRow,
  parsed: ParsedFile,
  version: number,
  retryOf: number | null,
): Promise<LoadedRow> {
  const named = parseFileName(source.fileName.replace(/^(rout_|copy of )/i, ""));
  const stages = stagesOf(parsed);
  const sheetDate = parsed.kind === "final_test"
    ? parsed.sheetDate
    : excelSerialToDate(parsed.tracks.map((t) => t.meta.dateSerial).find((d) => d !== null) ?? null);
  return {
    // Taken before the transaction: an id from the sequence is never handed out twice, even when the
    // file's transaction rolls back.
    fileId: retryOf ?? await reservedFileId(db),
    version,
    kind: parsed.kind,
    layout: parsed.kind === "trim" ? parsed.layout : null,
    model: named.model ?? parsed.modelCell,
    serial: named.serial ?? parsed.serialCell,
    testDate: named.testDate ?? sheetDate ?? source.mtime ?? new Date(),
    trimNote: named.trimNote,
    tracks: parsed.tracks.length,
    points: stages.reduce((n, s) => n + s.data.position.length, 0),
    skipped: stages.reduce((n, s) => n + s.data.skippedRows, 0),
  };
}

/** The file's ledger row, points, metadata and verdicts, in one transaction. */
async function writeLoaded(
  db: Database,
  source: SourceRow,
  row: LoadedRow,
  parsed: ParsedFile,
  retryOf: number | null,
  options: LoadOptions,
): Promise<void> {
  // A big sheet's grid is garbage now: tens of MB of typed arrays that V8 frees only when it collects,
  // and the append and the analysis are about to need as much again.
  if (row.points >= COLLECT_AFTER_POINTS) collectGarbage();
  if (row.layout) await ensureLayout(db, row.layout);
  await db.transaction(async () => {
    await insertLoadedFile(db, source, row, retryOf);
    await appendPoints(db, row.fileId, stagesOf(parsed), parsed.kind, options.flushRows ?? 50_000);
    if (row.points >= COLLECT_AFTER_POINTS) await db.evictCache();
    if (parsed.kind === "trim") await appendTrackMeta(db, row.fileId, parsed);
    else await appendFinalTests(db, row.fileId, parsed);
    await options.afterLoad?.({ fileId: row.fileId, model: row.model, parsed });
  });
}
