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
import { checkDatabase } from "../db/verify.ts";
import { discoverFiles } from "../ingest/discover.ts";
import { openBudgetedDatabase } from "../memory/budgeted_db.ts";
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
  const stamp = fileStamp();
  const expected = await ledgerOf(db);
  const report: RecoveryReport = {
    keptAs: [],
    snapshot: null,
    rejectedSnapshots: [],
    reloaded: 0,
    quarantined: 0,
    missing: null,
  };
  for (const candidate of (await listSnapshots(db)).reverse()) {
    const problem = await soundness(candidate);
    if (!problem) {
      report.snapshot = candidate;
      break;
    }
    report.rejectedSnapshots.push(`${candidate}: ${problem}`);
  }
  // Kept beside the database, under a name no later recovery reuses.
  for (const [from, suffix] of [[db, ""], [`${db}.wal`, ".wal"]]) {
    if (!(await exists(from))) continue;
    const target = await freeName(
      `${db}.damaged-${stamp}${suffix}`,
      (_, i) => `${db}.damaged-${stamp}-${i}${suffix}`,
    );
    await Deno.rename(from, target);
    report.keptAs.push(target);
  }
  if (report.snapshot) {
    await Deno.copyFile(report.snapshot, `${db}.part`);
    await Deno.rename(`${db}.part`, db);
    log(`started from snapshot ${report.snapshot}`);
  } else {
    log("no sound snapshot: starting from an empty database");
  }

  const budgeted = await openBudgetedDatabase(
    db,
    config.memoryBudgetMb,
    { event() {} },
    config,
  );
  try {
    const have = new Set(
      (await budgeted.db.rows("SELECT sha256 FROM files WHERE status = 'loaded'")).map((r) =>
        String(r.sha256)
      ),
    );
    const folders = [config.inbox, config.archiveDir];
    const present = [];
    for (const folder of folders) if (await exists(folder)) present.push(folder);
    const candidates = await discoverFiles(present, [config.quarantineDir]);
    const items: Array<{ path: string }> = [];
    const found = new Set(have);
    for (const path of candidates) {
      const sha = await sha256Of(path);
      if (found.has(sha)) continue;
      found.add(sha);
      items.push({ path });
    }
    log(`${items.length} source file(s) in ${present.join(" and ")} not in the snapshot; loading them`);
    const summary = await loadFiles(items, budgeted, config);
    report.reloaded = summary.loaded;
    report.quarantined = summary.quarantined;
    if (expected) {
      const now = new Set(
        (await budgeted.db.rows("SELECT sha256 FROM files WHERE status = 'loaded'")).map((r) =>
          String(r.sha256)
        ),
      );
      report.missing = expected.filter((f) => !now.has(f.sha256)).map((f) => f.path);
    }
  } finally {
    await budgeted.close();
  }
  return report;
}
