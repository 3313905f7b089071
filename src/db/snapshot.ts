/**
 * Read-only copies of the database for outside tools (BI, notebooks), which cannot open the file while the
 * service writes it: checkpoint, then copy the file, keeping the newest `keep` copies.
 */
import { basename, dirname, join } from "node:path";
import type { Database } from "./database.ts";
import { exists } from "../fs.ts";

/** The folder snapshots go to: `<db folder>/snapshots`. */
export function snapshotDir(dbPath: string): string {
  return join(dirname(dbPath), "snapshots");
}

/**
 * Takes a snapshot. The caller must hold the database's exclusive turn (no write may run between the
 * checkpoint and the copy).
 */
export async function takeSnapshot(db: Database, keep: number): Promise<string> {
  const dir = snapshotDir(db.path);
  await Deno.mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
  const stem = basename(db.path).replace(/\.duckdb$/, "");
  let target = join(dir, `${stem}-${stamp}.duckdb`);
  for (let i = 1; await exists(target); i++) target = join(dir, `${stem}-${stamp}-${i}.duckdb`);
  await copyDatabase(db, target);
  const all = [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.startsWith(`${stem}-`) && e.name.endsWith(".duckdb"))
    .map((e) => e.name)
    .sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) await Deno.remove(join(dir, old));
  return target;
}

/**
 * A consistent copy of the database file at `target`: checkpoint, then copy. The caller must hold the
 * database's exclusive turn (no write may run between the checkpoint and the copy).
 */
export async function copyDatabase(db: Database, target: string): Promise<string> {
  await db.conn.run("CHECKPOINT");
  await Deno.copyFile(db.path, `${target}.part`);
  await Deno.rename(`${target}.part`, target);
  return target;
}
