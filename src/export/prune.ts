/**
 * Exports the lake no longer reads are deleted once they are old. The lake reads each file's rows from its
 * newest export only (`lake.ts`), so an export in which every file has a newer export (a full export on
 * request after nightly ones, a re-export after `lta analyze`) changes no answer: it is a superseded copy.
 * Those of this site older than `keepDays` go, manifest first (readers that go by manifests never see a
 * half-deleted export). Nightly exports that still hold a file's newest rows are the lake's data and stay.
 */
import { dirname, join } from "node:path";
import { Database } from "../db/database.ts";
import { sqlString } from "../db/values.ts";
import { exists } from "../fs.ts";
import { EXPORT_STAMP, MANIFESTS } from "./lake.ts";

const DAY_MS = 86_400_000;

interface ManifestHead {
  exportId: string;
  site: string;
  createdAt: string;
  tables: Record<string, { files: Array<{ path: string }> }>;
}

/** Deletes this site's superseded exports older than `keepDays` (0 keeps every export); their ids. */
export async function pruneSupersededExports(
  lakeDir: string,
  site: string,
  keepDays: number,
  now = Date.now(),
): Promise<string[]> {
  if (keepDays <= 0) return [];
  const old = (await ownManifests(lakeDir, site)).filter((m) =>
    now - Date.parse(m.createdAt) > keepDays * DAY_MS
  );
  if (old.length === 0) return [];
  const read = await exportsStillRead(lakeDir);
  const pruned: string[] = [];
  for (const m of old) {
    if (read.has(m.exportId)) continue;
    await Deno.remove(join(lakeDir, MANIFESTS, `${m.exportId}.json`));
    for (const table of Object.values(m.tables)) {
      for (const f of table.files) {
        await Deno.remove(join(lakeDir, f.path)).catch(() => {});
        await removeEmptyFolders(lakeDir, dirname(f.path));
      }
    }
    pruned.push(m.exportId);
  }
  return pruned;
}

async function ownManifests(lakeDir: string, site: string): Promise<ManifestHead[]> {
  const dir = join(lakeDir, MANIFESTS);
  if (!await exists(dir)) return [];
  const out: ManifestHead[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || !e.name.endsWith(".json")) continue;
    try {
      const m = JSON.parse(await Deno.readTextFile(join(dir, e.name))) as ManifestHead;
      if (m.site === site && !Number.isNaN(Date.parse(m.createdAt))) out.push(m);
    } catch {
      // Another site's manifest being written, or not lta's: not ours to delete.
    }
  }
  return out;
}

/** The ids of exports holding some file's newest rows, by the same rule as the lake's views. */
async function exportsStillRead(lakeDir: string): Promise<Set<string>> {
  if (!await exists(join(lakeDir, "files"))) return new Set();
  const db = await Database.open(":memory:", { externalAccess: true, noSchema: true });
  try {
    const rows = await db.rows(
      `SELECT DISTINCT arg_max(export_id, ${EXPORT_STAMP}) AS id
       FROM read_parquet(${sqlString(`${join(lakeDir, "files")}/**/*.parquet`)}, union_by_name = true)
       GROUP BY sha256`,
    );
    return new Set(rows.map((r) => String(r.id)));
  } finally {
    db.close();
  }
}

/** Removes `relative` and its parents inside the lake while they are empty. */
async function removeEmptyFolders(lakeDir: string, relative: string): Promise<void> {
  for (let dir = relative; dir !== "." && dir !== "" && dir !== "/"; dir = dirname(dir)) {
    try {
      await Deno.remove(join(lakeDir, dir)); // fails on a folder that still holds something
    } catch {
      return;
    }
  }
}
