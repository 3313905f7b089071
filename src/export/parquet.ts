/**
 * The history as Hive-partitioned Parquet (`<table>/model=<m>/date=<YYYY-MM-DD>/…`), one immutable file set
 * per export with a `manifest.json`, so a lake (Spark, Trino, DuckDB, a DuckLake catalog) can read many
 * sites' exports side by side. Every row carries `site` and the file's `sha256`: file ids are per database,
 * content hashes are not.
 */
import { basename, join } from "node:path";
import { Database, SCHEMA_VERSION } from "../db/database.ts";
import { copyDatabase } from "../db/snapshot.ts";
import { exists } from "../fs.ts";

/** Which files' rows an export holds, by when they were loaded (`files.ingested_at`). */
export interface ExportRange {
  /** Only files loaded on or after this day, `YYYY-MM-DD`. */
  since?: string;
  /** Only files loaded after this instant (the previous export's `loadedUntil`), `YYYY-MM-DD HH:MM:SS[.ffffff]`. */
  after?: string;
}

export interface ParquetExportOptions extends ExportRange {
  /** The lake folder; this export becomes `<outDir>/<exportId>/`. */
  outDir: string;
  site: string;
}

export interface ExportedTable {
  rows: number;
  /** Parquet files relative to the export folder, with their sizes. */
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

/** Each table: the rows of loaded files in range, with `site`, `sha256`, and the partition columns. */
const TABLES: Record<string, { keys: string[]; sql: string }> = {
  files: {
    keys: ["sha256"],
    sql: `SELECT f.* EXCLUDE (model, quarantine_path, reason_code, reason), {site} AS site, {partition}
          FROM files f WHERE {range}`,
  },
  tracks: {
    keys: ["sha256", "track_id"],
    sql:
      `SELECT t.*, m.* EXCLUDE (file_id, track_id, n_points, unit_length), f.file_name, f.serial, f.test_date,
                 f.system, f.trim_note, f.sha256, {site} AS site, {partition}
          FROM tracks t JOIN files f USING (file_id)
          LEFT JOIN track_meta m ON m.file_id = t.file_id AND m.track_id = t.track_id
          WHERE {range}`,
  },
  points: {
    keys: ["sha256", "track_id", "stage", "row_index"],
    sql: `SELECT p.*, f.sha256, {site} AS site, {partition}
          FROM points p JOIN files f USING (file_id) WHERE {range}`,
  },
  final_tests: {
    keys: ["sha256", "track_id"],
    sql: `SELECT ft.*, f.file_name, f.serial, f.test_date, f.sha256, {site} AS site, {partition}
          FROM final_tests ft JOIN files f USING (file_id) WHERE {range}`,
  },
  final_test_points: {
    keys: ["sha256", "track_id", "row_index"],
    sql: `SELECT p.*, f.sha256, {site} AS site, {partition}
          FROM final_test_points p JOIN files f USING (file_id) WHERE {range}`,
  },
};

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;

/**
 * Writes one export from the database file `source`, which no process may be writing (a copy, or the
 * database while no service runs). Staged beside `outDir` and renamed into place whole, so a reader never
 * sees half an export.
 */
export async function exportParquet(source: string, options: ParquetExportOptions): Promise<ExportManifest> {
  if (options.since !== undefined && !DAY.test(options.since)) {
    throw new Error(`since must be YYYY-MM-DD, got "${options.since}"`);
  }
  if (options.after !== undefined && !INSTANT.test(options.after)) {
    throw new Error(`after must be a timestamp YYYY-MM-DD HH:MM:SS, got "${options.after}"`);
  }
  const db = await Database.open(source, { readOnly: true, externalAccess: true });
  try {
    const range = [
      "f.status = 'loaded'",
      options.since ? `f.ingested_at >= ${quote(options.since)}::TIMESTAMP` : null,
      options.after ? `f.ingested_at > ${quote(options.after)}::TIMESTAMP` : null,
    ].filter(Boolean).join(" AND ");
    const until = await db.value(
      `SELECT strftime(max(ingested_at), '%Y-%m-%d %H:%M:%S.%f') FROM files f WHERE ${range}`,
    );
    const exportId = await freshExportId(options.outDir, options.site);
    const staging = join(`${options.outDir}.staging`, exportId);
    await Deno.mkdir(staging, { recursive: true });
    const manifest: ExportManifest = {
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
    // A file with no model or date still has a partition, named for what it lacks.
    const partition =
      `coalesce(f.model, 'unknown') AS model, coalesce(strftime(f.test_date, '%Y-%m-%d'), 'unknown') AS date`;
    for (const [table, def] of Object.entries(TABLES)) {
      const select = def.sql.replace("{site}", quote(options.site)).replace("{partition}", partition).replace(
        "{range}",
        range,
      );
      const dir = join(staging, table);
      const written = await db.value(
        `COPY (${select}) TO ${quote(dir)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (model, date))`,
      );
      manifest.tables[table] = { rows: Number(written ?? 0), files: await parquetFiles(staging, table) };
    }
    await Deno.writeTextFile(join(staging, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
    await Deno.mkdir(options.outDir, { recursive: true });
    await Deno.rename(staging, join(options.outDir, exportId));
    await Deno.remove(`${options.outDir}.staging`).catch(() => {}); // only when nothing else is staged
    return manifest;
  } finally {
    db.close();
  }
}

/**
 * Exports from the live database of a running process: a consistent copy is taken under the database's
 * exclusive turn (through `exclusive`), exported, and removed.
 */
export async function exportParquetFromLive(
  db: Database,
  exclusive: <T>(work: () => Promise<T>) => Promise<T>,
  options: ParquetExportOptions,
): Promise<ExportManifest> {
  const staging = `${options.outDir}.staging`;
  await Deno.mkdir(staging, { recursive: true });
  const copy = join(staging, `${basename(db.path)}-${crypto.randomUUID()}.duckdb`);
  try {
    await exclusive(() => copyDatabase(db, copy));
    return await exportParquet(copy, options);
  } finally {
    await Deno.remove(copy).catch(() => {});
    await Deno.remove(`${copy}.wal`).catch(() => {});
    await Deno.remove(staging).catch(() => {});
  }
}

async function freshExportId(outDir: string, site: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  let id = `${site}-${stamp}`;
  for (let i = 1; await exists(join(outDir, id)) || await exists(join(`${outDir}.staging`, id)); i++) {
    id = `${site}-${stamp}-${i}`;
  }
  return id;
}

/** The Parquet files under `<root>/<table>`, relative to `root`, sorted. */
async function parquetFiles(root: string, table: string): Promise<ExportedTable["files"]> {
  const out: ExportedTable["files"] = [];
  const walk = async (rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(join(root, rel)));
    } catch {
      return; // no rows: DuckDB writes no folder
    }
    for (const e of entries) {
      const path = join(rel, e.name);
      if (e.isDirectory) await walk(path);
      else if (e.name.endsWith(".parquet")) {
        out.push({ path, bytes: (await Deno.stat(join(root, path))).size });
      }
    }
  };
  await walk(table);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** The folder an export was written to. */
export function exportFolder(outDir: string, manifest: ExportManifest): string {
  return join(outDir, manifest.exportId);
}
