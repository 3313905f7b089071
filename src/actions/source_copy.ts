/**
 * Where a loaded or quarantined file's source still is: left in the inbox, moved to the archive (the day
 * it was loaded), or kept in quarantine. A candidate counts only if its content hash is the ledger's, so
 * a later file of the same name is never handed out as this one.
 */
import { join, relative, resolve } from "node:path";
import type { Config } from "../config/config.ts";
import { hashFile } from "../ingest/source_file.ts";

export interface LedgerFile {
  path: string;
  sha256: string;
  quarantine_path: string | null;
  /** When it was loaded (UTC), `YYYY-MM-DD…`. */
  ingested_at: string;
}

/** The path of the file's source with the ledger's content, or `null` when none is left. */
export async function sourceCopy(
  file: LedgerFile,
  config: Pick<Config, "inbox" | "archiveDir">,
): Promise<string | null> {
  const below = relative(resolve(config.inbox), resolve(file.path));
  const candidates = [
    file.quarantine_path,
    file.path,
    below.startsWith("..") ? null : join(config.archiveDir, file.ingested_at.slice(0, 10), below),
  ];
  for (const path of candidates) {
    if (!path) continue;
    try {
      if ((await hashFile(path)).sha256 === file.sha256) return path;
    } catch {
      // Gone, or not readable: the next place.
    }
  }
  return null;
}
