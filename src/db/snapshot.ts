/**
 * Read-only copies of the database for outside tools (BI, notebooks), which cannot open the file while the
 * service writes it: checkpoint, then copy the file in a child process, keeping the newest `keep` copies.
 *
 * The copy must not be made in this process. POSIX record locks belong to the process, and closing any
 * descriptor of the file drops every lock the process holds on it: after an in-process `Deno.copyFile`, a
 * second process could open the database beside the service and damage it. A child's descriptors are
 * its own. Measured on a 22 MB file: the child copy 73–88 ms, DuckDB's `COPY FROM DATABASE` into an
 * attached file 382 ms (and it needs external access, which lta's instances turn off).
 */
import { basename, join } from "node:path";
import type { Database } from "./database.ts";
import { exists } from "../fs.ts";
import { asDatabaseError } from "./errors.ts";
import { snapshotDir } from "./sidecars.ts";

export { snapshotDir };

/**
 * Takes a snapshot. The caller must hold the database's exclusive turn (no write may run between the
 * checkpoint and the copy).
 */
export async function takeSnapshot(db: Database, keep: number): Promise<string> {
  const dir = snapshotDir(db.path);
  await Deno.mkdir(dir, { recursive: true });
  const stamp = fileStamp();
  const stem = basename(db.path).replace(/\.duckdb$/, "");
  let target = join(dir, `${stem}-${stamp}.duckdb`);
  for (let i = 1; await exists(target); i++) target = join(dir, `${stem}-${stamp}-${i}.duckdb`);
  await copyDatabase(db, target);
  const all = await listSnapshots(db.path);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) await Deno.remove(old);
  return target;
}

/** The snapshots of the database at `dbPath`, oldest first (their names sort by time). */
export async function listSnapshots(dbPath: string): Promise<string[]> {
  const dir = snapshotDir(dbPath);
  const stem = basename(dbPath).replace(/\.duckdb$/, "");
  if (!(await exists(dir))) return [];
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.startsWith(`${stem}-`) && e.name.endsWith(".duckdb")) names.push(e.name);
  }
  return names.sort().map((n) => join(dir, n));
}

/** Now as `YYYYMMDDTHHMMSS` (UTC), for file names that sort by time. */
export function fileStamp(at = new Date()): string {
  return at.toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
}

/**
 * A consistent copy of the database file at `target`: checkpoint, then copy. The caller must hold the
 * database's exclusive turn (no write may run between the checkpoint and the copy).
 */
export async function copyDatabase(db: Database, target: string): Promise<string> {
  await db.checkpoint();
  await copyInChildProcess(db.path, `${target}.part`);
  await Deno.rename(`${target}.part`, target);
  return target;
}

/** Copies `from` to `to` in a child Deno process (see the module comment for why). */
async function copyInChildProcess(from: string, to: string): Promise<void> {
  const copy = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--no-config",
      "Deno.copyFileSync(Deno.env.get('LTA_COPY_FROM'), Deno.env.get('LTA_COPY_TO'))",
    ],
    env: { LTA_COPY_FROM: from, LTA_COPY_TO: to },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  });
  const result = await copy.output();
  if (!result.success) {
    await Deno.remove(to).catch(() => {});
    const why = new TextDecoder().decode(result.stderr).trim().split("\n").find((l) => /error/i.test(l));
    throw asDatabaseError(new Error(why ?? `copy exited with ${result.code}`), to);
  }
}
