/**
 * The per-file pipeline the CLI and the watcher share: load a file (ingest → db), then analyse what it
 * loaded (db → analyze). It sits above both stages so neither reaches back up the chain.
 */
import type { Config } from "./config/config.ts";
import type { Database } from "./db/database.ts";
import { loadFile, type LoadOutcome } from "./ingest/load.ts";
import { analyzeTracks } from "./analyze/analyze.ts";

/** Loads `path` and, when it loaded, analyses its tracks. */
export async function processFile(db: Database, path: string, config: Config): Promise<LoadOutcome> {
  const outcome = await loadFile(db, path, {
    quarantineDir: config.quarantineDir,
    quarantineMode: config.quarantineMode,
  });
  if (outcome.kind === "loaded") {
    await analyzeTracks(db, { fileIds: [outcome.fileId] }, {
      offsetSearch: config.offsetSearch,
      nearMissPct: config.nearMissPct,
    });
  }
  return outcome;
}
