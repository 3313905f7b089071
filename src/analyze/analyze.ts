/**
 * Analyses loaded tracks in bounded batches: SQL selects the tracks, joins their metadata and per-model
 * threshold overrides and streams their points in order; the numerics that SQL expresses badly (zero-phase
 * filter, offset search) run in TypeScript one track at a time; results go back through the Appender.
 */
import { type DuckDBValue, listValue } from "@duckdb/node-api";
import type { Database } from "../db/database.ts";
import { analyzeTrack, type TrackInput, type TrackResult, type TrackSettings } from "./track.ts";
import { appendResults, type TrackRow } from "./result_rows.ts";

/** Which tracks to (re-)analyse. With nothing set, tracks that have no result yet. */
export interface TrackSelection {
  fileIds?: number[];
  all?: boolean;
  model?: string;
  /** Files whose test date is on or after this ISO date. */
  since?: string;
}

export interface AnalyzeOptions extends TrackSettings {
  /** Tracks per batch (points of one batch are the most held in memory at once). */
  batchTracks?: number;
  onProgress?: (done: number, total: number) => void;
  /** Runs each batch when the database is free (the service's exclusive turn, so ingest goes on between). */
  exclusive?: <T>(work: () => Promise<T>) => Promise<T>;
}

export interface AnalyzeSummary {
  tracks: number;
  byStatus: Record<string, number>;
  seconds: number;
}

/** A just-loaded track handed over in memory, so the pipeline need not read its points back. */
export interface LoadedTrack {
  trackId: string;
  hasTrimmed: boolean;
  unitLength: number | null;
  input: Omit<TrackInput, "thresholdOverride">;
}

/**
 * Analyses the tracks of one just-loaded file from memory and appends their rows, inside the caller's
 * transaction (the file's load), so a file and its verdicts commit together.
 */
export async function analyzeLoadedFile(
  db: Database,
  fileId: number,
  model: string | null,
  tracks: LoadedTrack[],
  settings: TrackSettings,
): Promise<TrackResult[]> {
  const override = model === null ? null : (await modelThresholds(db)).get(model) ?? null;
  const results = tracks.map((t) => analyzeTrack({ ...t.input, thresholdOverride: override }, settings));
  const rows = tracks.map((t) => ({
    fileId,
    trackId: t.trackId,
    hasTrimmed: t.hasTrimmed,
    untrimmedResistance: t.input.untrimmedResistance,
    trimmedResistance: t.input.trimmedResistance,
    unitLength: t.unitLength,
    override,
  }));
  await appendResults(db, rows, results, settings.offsetSearch);
  return results;
}

const THRESHOLD_CACHE_MS = 30_000;
const thresholdCache = new WeakMap<Database, { at: number; byModel: Map<string, number> }>();

/**
 * Per-model threshold overrides, re-read at most every 30 s: one small table, consulted for every file,
 * where a per-file query would cost as much as the file's analysis.
 */
async function modelThresholds(db: Database): Promise<Map<string, number>> {
  const cached = thresholdCache.get(db);
  if (cached && performance.now() - cached.at < THRESHOLD_CACHE_MS) return cached.byModel;
  const rows = await db.rows("SELECT model, sigma_threshold FROM model_thresholds");
  const byModel = new Map(rows.map((r) => [String(r.model), Number(r.sigma_threshold)]));
  thresholdCache.set(db, { at: performance.now(), byModel });
  return byModel;
}

/** Analyses the selected tracks and replaces their rows in `tracks`. */
export async function analyzeTracks(
  db: Database,
  selection: TrackSelection,
  options: AnalyzeOptions,
): Promise<AnalyzeSummary> {
  const started = performance.now();
  const { where, params } = selectionSql(selection);
  const total = Number(
    await db.value(`SELECT count(*) FROM track_meta m JOIN files f USING (file_id) ${where}`, params),
  );
  const summary: AnalyzeSummary = { tracks: 0, byStatus: {}, seconds: 0 };
  const batchSize = options.batchTracks ?? 500;
  let after: [number, string] = [-1, ""];
  const exclusive = options.exclusive ?? ((work) => work());
  while (summary.tracks < total) {
    const step = await exclusive(async () => {
      const batch = await nextBatch(db, where, params, after, batchSize);
      if (batch.length === 0) return null;
      const results = await computeBatch(db, batch, options);
      await db.transaction(async () => {
        await db.exec(
          `DELETE FROM tracks WHERE (file_id, track_id) IN (SELECT unnest($1::BIGINT[]), unnest($2::VARCHAR[]))`,
          [listValue(batch.map((t) => t.fileId)), listValue(batch.map((t) => t.trackId))],
        );
        await appendResults(db, batch, results, options.offsetSearch);
      });
      return { batch, results };
    });
    if (!step) break;
    const { batch, results } = step;
    after = [batch.at(-1)!.fileId, batch.at(-1)!.trackId];
    for (const r of results) summary.byStatus[r.status] = (summary.byStatus[r.status] ?? 0) + 1;
    summary.tracks += batch.length;
    options.onProgress?.(summary.tracks, total);
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

function selectionSql(sel: TrackSelection): { where: string; params: DuckDBValue[] } {
  const clauses: string[] = [];
  const params: DuckDBValue[] = [];
  if (sel.fileIds) {
    params.push(listValue(sel.fileIds));
    clauses.push(`m.file_id IN (SELECT unnest($${params.length}::BIGINT[]))`);
  }
  if (sel.model) {
    params.push(sel.model);
    clauses.push(`f.model = $${params.length}`);
  }
  if (sel.since) {
    params.push(sel.since);
    clauses.push(`f.test_date >= $${params.length}::TIMESTAMP`);
  }
  if (!sel.all && !sel.fileIds && !sel.model && !sel.since) {
    clauses.push(
      "NOT EXISTS (SELECT 1 FROM tracks t WHERE t.file_id = m.file_id AND t.track_id = m.track_id)",
    );
  }
  clauses.push("f.status = 'loaded'");
  return { where: `WHERE ${clauses.join(" AND ")}`, params };
}

async function nextBatch(
  db: Database,
  where: string,
  params: DuckDBValue[],
  after: [number, string],
  limit: number,
): Promise<TrackRow[]> {
  const n = params.length;
  const rows = await db.rows(
    `SELECT m.file_id, m.track_id, m.has_trimmed, m.untrimmed_resistance, m.trimmed_resistance,
            m.unit_length, o.sigma_threshold AS override
     FROM track_meta m JOIN files f USING (file_id) LEFT JOIN model_thresholds o ON o.model = f.model
     ${where} AND (m.file_id, m.track_id) > ($${n + 1}, $${n + 2})
     ORDER BY m.file_id, m.track_id LIMIT ${limit}`,
    [...params, after[0], after[1]],
  );
  return rows.map((r) => ({
    fileId: Number(r.file_id),
    trackId: String(r.track_id),
    hasTrimmed: Boolean(r.has_trimmed),
    untrimmedResistance: r.untrimmed_resistance as number | null,
    trimmedResistance: r.trimmed_resistance as number | null,
    unitLength: r.unit_length as number | null,
    override: r.override as number | null,
  }));
}

/** The batch's points, each track's data stage and untrimmed errors, in point order. */
interface BatchInput {
  data: TrackInput & {
    position: number[];
    error: number[];
    upper: Array<number | null>;
    lower: Array<number | null>;
  };
  untrimmed: number[];
}

async function computeBatch(
  db: Database,
  batch: TrackRow[],
  settings: TrackSettings,
): Promise<TrackResult[]> {
  const inputs: BatchInput[] = batch.map((t) => ({
    data: {
      position: [],
      error: [],
      upper: [],
      lower: [],
      untrimmedError: null,
      untrimmedResistance: t.untrimmedResistance,
      trimmedResistance: t.trimmedResistance,
      thresholdOverride: t.override,
    },
    untrimmed: [],
  }));
  await readBatchPoints(db, batch, inputs);
  return batch.map((t, i) => {
    const entry = inputs[i];
    if (t.hasTrimmed && entry.untrimmed.length) entry.data.untrimmedError = entry.untrimmed;
    return analyzeTrack(entry.data, settings);
  });
}

/** Fills `inputs` (one per track of `batch`) from `points`, in one streamed query. */
async function readBatchPoints(db: Database, batch: TrackRow[], inputs: BatchInput[]): Promise<void> {
  // SQL picks each track's data stage and numbers the tracks, so the loop below reads only numbers.
  await db.eachChunk(
    `SELECT b.ord, p.stage = 'trimmed' OR NOT b.has_trimmed AS is_data,
            p.position, p.error, p.upper_limit, p.lower_limit
     FROM points p
     JOIN (SELECT unnest($3::BIGINT[]) AS file_id, unnest($4::VARCHAR[]) AS track_id,
                  unnest($5::INTEGER[]) AS ord, unnest($6::BOOLEAN[]) AS has_trimmed) b
       USING (file_id, track_id)
     WHERE p.file_id BETWEEN $1 AND $2
     ORDER BY b.ord, p.stage, p.row_index`,
    [
      batch[0].fileId,
      batch.at(-1)!.fileId,
      listValue(batch.map((t) => t.fileId)),
      listValue(batch.map((t) => t.trackId)),
      listValue(batch.map((_, i) => i)),
      listValue(batch.map((t) => t.hasTrimmed)),
    ],
    (chunk) => {
      const [ords, isData, positions, errors, uppers, lowers] = [0, 1, 2, 3, 4, 5].map((c) =>
        chunk.column(c)
      );
      for (let i = 0; i < chunk.rowCount; i++) {
        const entry = inputs[ords.getItem(i) as number];
        const error = errors.getItem(i) as number;
        if (isData.getItem(i)) {
          entry.data.position.push(positions.getItem(i) as number);
          entry.data.error.push(error);
          entry.data.upper.push(uppers.getItem(i) as number | null);
          entry.data.lower.push(lowers.getItem(i) as number | null);
        } else {
          entry.untrimmed.push(error);
        }
      }
    },
  );
}
