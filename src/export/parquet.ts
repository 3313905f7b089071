/**
 * The history as Hive-partitioned Parquet in a lake folder shared by any number of sites and exports:
 * `<lake>/<table>/model=<m>/date=<YYYY-MM-DD>/<exportId>.parquet`, so each table is one partitioned dataset
 * for Spark, Trino, DuckDB or a DuckLake catalog. An export is an immutable file set named by its id
 * (`<site>-<UTC stamp>`), listed in `<lake>/_manifests/<exportId>.json`, written last. Every row carries
 * `site`, `export_id` and the file's `sha256`: file ids are per database, content hashes are not, and
 * a later export of the same file (after a re-analysis) supersedes an earlier one.
 */
import { basename, join } from "node:path";
import { Database, SCHEMA_VERSION } from "../db/database.ts";
import { copyDatabase } from "../db/snapshot.ts";
import { walPath } from "../db/sidecars.ts";
import { exists } from "../fs.ts";
import { sqlString } from "../db/values.ts";
import { pruneSupersededExports } from "./prune.ts";
import { MANIFESTS } from "./lake.ts";

/** Which files' rows an export holds, by when they were loaded (`files.ingested_at`). */
export interface ExportRange {
  /** Only files loaded on or after this day, `YYYY-MM-DD`. */
  since?: string;
  /** Only files loaded after this instant (the previous export's `loadedUntil`), `YYYY-MM-DD HH:MM:SS[.ffffff]`. */
  after?: string;
}

export interface ParquetExportOptions extends ExportRange {
  /** The lake folder (shared by every site's exports). */
  outDir: string;
  site: string;
  /** This site's exports that the lake no longer reads are deleted after this many days (0: never). */
  keepDays: number;
}

/** A written export, and the superseded exports deleted after it. */
export type ExportResult = ExportManifest & { pruned: string[] };

export interface ExportedTable {
  rows: number;
  /** Parquet files relative to the lake folder, with their sizes. */
  files: Array<{ path: string; bytes: number }>;
}

export interface ExportManifest {
  format: "lta-parquet-export";
  formatVersion: 1;
  exportId: string;
  site: string;
  createdAt: string;
  schemaVersion: number;
  loadedSince: string | null;
  loadedAfter: string | null;
  /** The newest `ingested_at` in this export's source: the next incremental export starts after it. */
  loadedUntil: string | null;
  partitioning: ["model", "date"];
  /** Columns that identify a row across sites and exports. */
  keys: Record<string, string[]>;
  tables: Record<string, ExportedTable>;
}

/**
 * Each table: the rows of loaded files in range, with `{origin}` (`site`, `export_id`), `sha256`, and the
 * partition columns.
 */
const TABLES: Record<string, { keys: string[]; sql: string }> = {
  files: {
    keys: ["sha256"],
    // The unit keys are derived (the lake computes them, as a site's older exports lack them).
    sql:
      `SELECT f.* EXCLUDE (model, quarantine_path, reason_code, reason, model_key, serial_key), {origin}, {partition}
          FROM files f WHERE {range}`,
  },
  tracks: {
    keys: ["sha256", "track_id"],
    sql:
      `SELECT t.*, m.* EXCLUDE (file_id, track_id, n_points, unit_length), f.file_name, f.serial, f.test_date,
                 f.system, f.trim_note, f.station, f.sha256, {origin}, {partition}
          FROM tracks t JOIN files f USING (file_id)
          LEFT JOIN track_meta m ON m.file_id = t.file_id AND m.track_id = t.track_id
          WHERE {range}`,
  },
  points: {
    keys: ["sha256", "track_id", "stage", "row_index"],
    sql: `SELECT p.*, f.sha256, {origin}, {partition}
          FROM points p JOIN files f USING (file_id) WHERE {range}`,
  },
  final_tests: {
    keys: ["sha256", "track_id"],
    sql: `SELECT ft.*, f.file_name, f.serial, f.test_date, f.sha256, {origin}, {partition}
          FROM final_tests ft JOIN files f USING (file_id) WHERE {range}`,
  },
  final_test_points: {
    keys: ["sha256", "track_id", "row_index"],
    sql: `SELECT p.*, f.sha256, {origin}, {partition}
          FROM final_test_points p JOIN files f USING (file_id) WHERE {range}`,
  },
};

const EXPORT_MEMORY_LIMIT = "128MB";
// A name Hadoop-style readers (Spark, Trino, Hive) skip when they list a table's files (as `MANIFESTS`).
const STAGING = "_staging";
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;

/**
 * Writes one export from the database file `source`, which no process may be writing (a copy, or the
 * database while no service runs). Files are staged in `<lake>/_staging/` and moved into their partitions
 * once all are written; the manifest comes last (readers that want whole exports go by manifests).
 */
export async function exportParquet(source: string, options: ParquetExportOptions): Promise<ExportResult> {
  if (options.since !== undefined && !DAY.test(options.since)) {
    throw new Error(`since must be YYYY-MM-DD, got "${options.since}"`);
  }
  if (options.after !== undefined && !INSTANT.test(options.after)) {
    throw new Error(`after must be a timestamp YYYY-MM-DD HH:MM:SS, got "${options.after}"`);
  }
  const exportId = await freshExportId(options.outDir, options.site);
  const staging = join(options.outDir, STAGING, exportId);
  await Deno.mkdir(staging, { recursive: true });
  // A small, single-threaded instance that spills: the export may run inside the service, under its budget.
  const db = await Database.open(source, {
    readOnly: true,
    externalAccess: true,
    memoryLimit: EXPORT_MEMORY_LIMIT,
    threads: 1,
    tempDirectory: join(staging, ".spill"),
  });
  try {
    await db.exec("SET preserve_insertion_order = false");
    const range = [
      "f.status = 'loaded'",
      options.since ? `f.ingested_at >= ${sqlString(options.since)}::TIMESTAMP` : null,
      options.after ? `f.ingested_at > ${sqlString(options.after)}::TIMESTAMP` : null,
    ].filter(Boolean).join(" AND ");
    const manifest = await emptyManifest(db, exportId, range, options);
    // A file with no model still has a partition; every loaded file has a test date.
    const partition = `coalesce(f.model, 'unknown') AS model, f.test_date::DATE AS date`;
    for (const [table, def] of Object.entries(TABLES)) {
      const select = def.sql.replace(
        "{origin}",
        `${sqlString(options.site)} AS site, ${sqlString(exportId)} AS export_id`,
      )
        .replace("{partition}", partition)
        .replace("{range}", range);
      manifest.tables[table] = await writePartitions(db, select, staging, table, exportId);
    }
    await publish(manifest, staging, options.outDir);
    return {
      ...manifest,
      pruned: await pruneSupersededExports(options.outDir, options.site, options.keepDays),
    };
  } finally {
    db.close();
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    await Deno.remove(join(options.outDir, STAGING)).catch(() => {}); // only when nothing else is staged
  }
}

/** The manifest of an export of the files in `range`, its tables still to be written. */
async function emptyManifest(
  db: Database,
  exportId: string,
  range: string,
  options: ParquetExportOptions,
): Promise<ExportManifest> {
  const until = await db.value(
    `SELECT strftime(max(ingested_at), '%Y-%m-%d %H:%M:%S.%f') FROM files f WHERE ${range}`,
  );
  return {
    format: "lta-parquet-export",
    formatVersion: 1,
    exportId,
    site: options.site,
    createdAt: new Date().toISOString(),
    schemaVersion: SCHEMA_VERSION,
    loadedSince: options.since ?? null,
    loadedAfter: options.after ?? null,
    loadedUntil: until === null ? null : String(until),
    partitioning: ["model", "date"],
    keys: Object.fromEntries(Object.entries(TABLES).map(([t, d]) => [t, d.keys])),
    tables: {},
  };
}

/** Moves the staged files into their partitions, then writes the manifest (last, so readers see whole exports). */
async function publish(manifest: ExportManifest, staging: string, outDir: string): Promise<void> {
  for (const t of Object.values(manifest.tables)) {
    for (const f of t.files) {
      await Deno.mkdir(join(outDir, f.path, ".."), { recursive: true });
      await Deno.rename(join(staging, f.path), join(outDir, f.path));
    }
  }
  const manifests = join(outDir, MANIFESTS);
  await Deno.mkdir(manifests, { recursive: true });
  const target = join(manifests, `${manifest.exportId}.json`);
  await Deno.writeTextFile(`${target}.part`, JSON.stringify(manifest, null, 2) + "\n");
  await Deno.rename(`${target}.part`, target);
}

/**
 * Exports from the live database of a running process: a consistent copy is taken under the database's
 * exclusive turn (through `exclusive`), exported, and removed.
 */
export async function exportParquetFromLive(
  db: Database,
  exclusive: <T>(work: () => Promise<T>) => Promise<T>,
  options: ParquetExportOptions,
): Promise<ExportResult> {
  const staging = join(options.outDir, STAGING);
  await Deno.mkdir(staging, { recursive: true });
  const copy = join(staging, `${basename(db.path)}-${crypto.randomUUID()}.duckdb`);
  try {
    await exclusive(() => copyDatabase(db, copy));
    return await exportParquet(copy, options);
  } finally {
    await Deno.remove(copy).catch(() => {});
    await Deno.remove(walPath(copy)).catch(() => {});
    await Deno.remove(staging).catch(() => {});
  }
}

/**
 * Writes `select`'s rows as `<staging>/<table>/model=<m>/date=<d>/<exportId>.parquet`, one COPY per partition from a
 * temporary table sorted by partition (row-group zone maps make each lookup cheap). DuckDB's own
 * PARTITION_BY buffers every open partition at once, ~256 KB a column each: a first export of years of
 * history (tens of thousands of model-days) would need gigabytes.
 */
async function writePartitions(
  db: Database,
  select: string,
  staging: string,
  table: string,
  exportId: string,
): Promise<ExportedTable> {
  await db.exec(`CREATE OR REPLACE TEMP TABLE export_rows AS ${select} ORDER BY model, date`);
  try {
    const partitions = await db.rows(
      "SELECT model, strftime(date, '%Y-%m-%d') AS day, count(*)::BIGINT AS n FROM export_rows GROUP BY ALL ORDER BY 1, 2",
    );
    const out: ExportedTable = { rows: 0, files: [] };
    for (const p of partitions) {
      const path = join(
        table,
        `model=${hiveValue(String(p.model))}`,
        `date=${p.day}`,
        `${exportId}.parquet`,
      );
      await Deno.mkdir(join(staging, path, ".."), { recursive: true });
      await db.exec(
        // model and date stay in the file too: a file registered on its own (DuckLake) describes itself.
        `COPY (SELECT * FROM export_rows WHERE model = $1 AND date = $2::DATE)
         TO ${sqlString(join(staging, path))} (FORMAT parquet, COMPRESSION zstd)`,
        [String(p.model), String(p.day)],
      );
      out.rows += Number(p.n);
      out.files.push({ path, bytes: (await Deno.stat(join(staging, path))).size });
    }
    return out;
  } finally {
    await db.exec("DROP TABLE IF EXISTS export_rows");
  }
}

/** A partition value as a path segment: Hive's escaping (`%XX`) for what a path cannot hold. */
function hiveValue(v: string): string {
  return [...new TextEncoder().encode(v)].map((b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9._ ()+-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
}

async function freshExportId(outDir: string, site: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  let id = `${site}-${stamp}`;
  for (
    let i = 1;
    await exists(join(outDir, MANIFESTS, `${id}.json`)) || await exists(join(outDir, STAGING, id));
    i++
  ) {
    id = `${site}-${stamp}-${i}`;
  }
  return id;
}

/** Where an export's manifest is. */
export function manifestPath(outDir: string, exportId: string): string {
  return join(outDir, MANIFESTS, `${exportId}.json`);
}
