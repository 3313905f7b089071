/**
 * Rebuilding a damaged database: the damaged file is kept beside it (never overwritten), the newest
 * snapshot that passes every check becomes the new database, and every source file in the inbox and the
 * archive whose content the snapshot does not hold is loaded again, oldest first, through the usual path.
 * What the damaged ledger (when it can still be read) knew of and no folder holds is listed as missing.
 */
import { createHash } from "node:crypto";
import type { Config } from "../config/config.ts";
import { Database } from "../db/database.ts";
import { fileStamp, listSnapshots } from "../db/snapshot.ts";
import { walPath } from "../db/sidecars.ts";
import { checkDatabase } from "../db/verify.ts";
import { discoverFiles } from "../ingest/discover.ts";
import { type BudgetedDatabase, openBudgetedDatabase } from "../memory/budgeted_db.ts";
import { loadFiles } from "./files.ts";
import { exists, freeName } from "../fs.ts";

export interface RecoveryReport {
  /** Where the damaged database (and its WAL) now are. */
  keptAs: string[];
  /** The snapshot the new database started from (`null`: none passed, started empty). */
  snapshot: string | null;
  /** Snapshots passed over, with why. */
  rejectedSnapshots: string[];
  /** Source files loaded again. */
  reloaded: number;
  quarantined: number;
  /** Files the damaged ledger had loaded that no folder holds any more (`null`: its ledger was unreadable). */
  missing: string[] | null;
}

/** Whether `path` opens and passes every check; the first failure when not. */
async function soundness(path: string): Promise<string | null> {
  try {
    const db = await Database.open(path, { readOnly: true });
    try {
      const failed = (await checkDatabase(db, path)).find((c) => !c.ok);
      return failed ? `${failed.name}: ${failed.detail}` : null;
    } finally {
      db.close();
    }
  } catch (e) {
    return (e as Error).message;
  }
}

/** The loaded files (path and content hash) a database's ledger lists, or `null` when it cannot be read. */
async function ledgerOf(path: string): Promise<Array<{ path: string; sha256: string }> | null> {
  try {
    const db = await Database.open(path, { readOnly: true });
    try {
      return (await db.rows("SELECT path, sha256 FROM files WHERE status = 'loaded'")).map((r) => ({
        path: String(r.path),
        sha256: String(r.sha256),
      }));
    } finally {
      db.close();
    }
  } catch {
    return null;
  }
}

async function sha256Of(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

/** Rebuilds `config.db`; the caller has made sure no service holds it. */
export async function recoverDatabase(config: Config, log: (line: string) => void): Promise<RecoveryReport> {
  const db = config.db;
  const expected = await ledgerOf(db);
  const report: RecoveryReport = {
    keptAs: [],
    snapshot: null,
    rejectedSnapshots: [],
    reloaded: 0,
    quarantined: 0,
    missing: null,
  };
  await chooseSnapshot(db, report);
  report.keptAs = await keepDamaged(db);
  if (report.snapshot) {
    await Deno.copyFile(report.snapshot, `${db}.part`);
    await Deno.rename(`${db}.part`, db);
    log(`started from snapshot ${report.snapshot}`);
  } else {
    log("no sound snapshot: starting from an empty database");
  }
  const budgeted = await openBudgetedDatabase(db, config.memoryBudgetMb, { event() {} }, config);
  try {
    const { items, folders } = await sourcesNotHeld(budgeted, config);
    log(`${items.length} source file(s) in ${folders.join(" and ")} not in the snapshot; loading them`);
    const summary = await loadFiles(items, budgeted, config);
    report.reloaded = summary.loaded;
    report.quarantined = summary.quarantined;
    if (expected) {
      const now = await loadedHashes(budgeted);
      report.missing = expected.filter((f) => !now.has(f.sha256)).map((f) => f.path);
    }
  } finally {
    await budgeted.close();
  }
  return report;
}

/** The newest snapshot that is sound; those that are not are listed with why. */
async function chooseSnapshot(db: string, report: RecoveryReport): Promise<void> {
  for (const candidate of (await listSnapshots(db)).reverse()) {
    const problem = await soundness(candidate);
    if (!problem) {
      report.snapshot = candidate;
      return;
    }
    report.rejectedSnapshots.push(`${candidate}: ${problem}`);
  }
}

/** Moves the damaged file and its WAL aside, under names no later recovery reuses; where they went. */
async function keepDamaged(db: string): Promise<string[]> {
  const stamp = fileStamp();
  const kept: string[] = [];
  for (const [from, suffix] of [[db, ""], [walPath(db), ".wal"]]) {
    if (!(await exists(from))) continue;
    const target = await freeName(
      `${db}.damaged-${stamp}${suffix}`,
      (_, i) => `${db}.damaged-${stamp}-${i}${suffix}`,
    );
    await Deno.rename(from, target);
    kept.push(target);
  }
  return kept;
}

async function loadedHashes(budgeted: BudgetedDatabase): Promise<Set<string>> {
  const rows = await budgeted.db.rows("SELECT sha256 FROM files WHERE status = 'loaded'");
  return new Set(rows.map((r) => String(r.sha256)));
}

/** Files in the inbox and archive whose content the database does not hold, each content once. */
async function sourcesNotHeld(
  budgeted: BudgetedDatabase,
  config: Config,
): Promise<{ items: Array<{ path: string }>; folders: string[] }> {
  const folders = [];
  for (const folder of [config.inbox, config.archiveDir]) if (await exists(folder)) folders.push(folder);
  const found = await loadedHashes(budgeted);
  const items: Array<{ path: string }> = [];
  for (const path of await discoverFiles(folders, [config.quarantineDir])) {
    const sha = await sha256Of(path);
    if (found.has(sha)) continue;
    found.add(sha);
    items.push({ path });
  }
  return { items, folders };
}
