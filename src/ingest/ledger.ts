/**
 * The ledger: every statement on `files` and `duplicates` a file's load makes, and the file ids. One row
 * per file ever seen, loaded or quarantined (docs/schema.md); a duplicate's sighting is a row of its own.
 */
import type { Database } from "../db/database.ts";
import type { LayoutRow } from "./layouts/trim_layout.ts";
import type { ParsedFile } from "./parsed.ts";
import type { StationId } from "./station.ts";

/** Bumped whenever a change to the readers or layouts would load a file differently. */
export const PARSER_VERSION = "1.1.0";

/** What the ledger knows of a file on disk. */
export interface SourceRow {
  path: string;
  fileName: string;
  sha256: string;
  size: number;
  mtime: Date | null;
  /** The station and line that sent it. */
  station?: StationId;
}

/** A loaded file's ledger row, besides its source. */
export interface LoadedRow {
  fileId: number;
  version: number;
  kind: ParsedFile["kind"];
  layout: LayoutRow | null;
  model: string | null;
  serial: string | null;
  testDate: Date;
  trimNote: string | null;
  tracks: number;
  points: number;
  skipped: number;
}

/**
 * Ledger rows with this content (`same_content`) or this file name. Each match comes back as one BIGINT
 * (file id, loaded, same content): every column a result hands to JS is two N-API objects whose
 * bookkeeping Deno never frees (48 bytes each), so a match costs 4 such objects instead of 9.
 */
export async function ledgerMatches(
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

/** File ids taken from the sequence ahead, per database. */
const reservedIds = new WeakMap<Database, number[]>();
const RESERVE_IDS = 16;

/**
 * The next file id, from a block taken from `file_id_seq` in one statement. Reading each new id back from
 * its INSERT cost four more native objects a file than running the INSERT alone, and under Deno each leaves
 * its bookkeeping behind for good (docs/memory.md). Loaded and quarantined files draw from the same block,
 * so ids stay dense within a process; a restart skips what was left of its block (at most 15).
 */
export async function reservedFileId(db: Database): Promise<number> {
  let ids = reservedIds.get(db);
  if (!ids?.length) {
    const rows = await db.rowsOf(`SELECT nextval('file_id_seq') AS id FROM range(${RESERVE_IDS})`, []);
    reservedIds.set(db, ids = rows.map((r) => Number(r.id)));
  }
  return ids.shift()!;
}

/** A file whose content is loaded already: its sighting, and the quarantine record it resolves (`replaces`). */
export async function recordDuplicate(
  db: Database,
  f: SourceRow,
  fileId: number,
  replaces: number | undefined,
): Promise<void> {
  if (replaces !== undefined) {
    await db.exec("DELETE FROM files WHERE file_id = $1 AND status = 'quarantined'", [replaces]);
  }
  await db.execOf(
    "INSERT INTO duplicates VALUES ($1, $2, $3, $4, $5::TIMESTAMP, $6, now()::TIMESTAMP)",
    [f.path, f.fileName, f.sha256, f.size, isoTimestamp(f.mtime), fileId],
  );
}

/** Layouts known to be in `station_layouts`, per database. */
const knownLayouts = new WeakMap<Database, Set<string>>();

/**
 * Makes sure `files.system` may name this layout: its lookup row is written the first time a process loads
 * one of its files. Call it outside the file's transaction, so a rollback cannot take the row back.
 */
export async function ensureLayout(db: Database, layout: LayoutRow): Promise<void> {
  let known = knownLayouts.get(db);
  if (!known) knownLayouts.set(db, known = new Set());
  if (known.has(layout.system)) return;
  await db.exec("INSERT INTO station_layouts VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [
    layout.system,
    layout.station,
    layout.description,
  ]);
  known.add(layout.system);
}

/** The ledger row of a loaded file, in place of the quarantine record it retries (in its transaction). */
export async function insertLoadedFile(
  db: Database,
  f: SourceRow,
  row: LoadedRow,
  retryOf: number | null,
): Promise<void> {
  if (retryOf !== null) await db.exec("DELETE FROM files WHERE file_id = $1", [retryOf]);
  await db.execOf(
    `INSERT INTO files (file_id, path, file_name, sha256, size_bytes, source_mtime, version, status, system, model,
       serial, test_date, trim_note, n_tracks, n_points, skipped_rows, ingested_at, parser_version, kind,
       model_key, serial_key, station, line)
     VALUES ($1, $2, $3, $4, $5, $6::TIMESTAMP, $7, 'loaded', $8, $9, $10,
             $11::TIMESTAMP, $12, $13, $14, $15, now()::TIMESTAMP, $16, $17, lta_model_key($9), lta_serial_key($10),
             $18, $19)`,
    [
      row.fileId,
      f.path,
      f.fileName,
      f.sha256,
      f.size,
      isoTimestamp(f.mtime),
      row.version,
      row.layout?.system ?? null,
      row.model,
      row.serial,
      isoTimestamp(row.testDate),
      row.trimNote,
      row.tracks,
      row.points,
      row.skipped,
      PARSER_VERSION,
      row.kind,
      f.station?.station ?? null,
      f.station?.line ?? null,
    ],
  );
}

/** A quarantined file's ledger row; a retry (`retryOf`) updates the row it retries. Returns its id. */
export async function recordQuarantine(
  db: Database,
  f: SourceRow & { code: string; reason: string; retryOf: number | null; stored: string },
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
       reason, quarantine_path, ingested_at, parser_version, station, line)
     VALUES ($1, $2, $3, $4, $5, $6::TIMESTAMP, 1, 'quarantined', $7, $8, $9, now()::TIMESTAMP, $10, $11, $12)`,
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
      f.station?.station ?? null,
      f.station?.line ?? null,
    ],
  );
  return fileId;
}

function isoTimestamp(d: Date | null): string | null {
  return d ? d.toISOString().replace("T", " ").replace("Z", "") : null;
}
