/**
 * The per-file pipeline the CLI and the watcher share: load a file (ingest → db) and analyse its tracks
 * (analyze) in the same transaction, from the parsed data still in memory. It sits above both stages so
 * neither reaches back up the chain.
 */
import type { Config } from "./config/config.ts";
import type { Database } from "./db/database.ts";
import { loadFile, type LoadOutcome } from "./ingest/load.ts";
import type { ParsedWorkbook } from "./ingest/layouts/trim_layout.ts";
import { analyzeLoadedFile, type LoadedTrack } from "./analyze/analyze.ts";

/** Loads `path` and analyses its tracks; `replaces` names a quarantined row being retried. */
export async function processFile(
  db: Database,
  path: string,
  config: Config,
  replaces?: number,
): Promise<LoadOutcome> {
  return await loadFile(db, path, {
    quarantineDir: config.quarantineDir,
    quarantineMode: config.quarantineMode,
    replaces,
    afterLoad: async ({ fileId, model, parsed }) => {
      await analyzeLoadedFile(db, fileId, model, loadedTracks(parsed), {
        offsetSearch: config.offsetSearch,
        nearMissPct: config.nearMissPct,
      });
    },
  });
}

/** The analysis inputs of a parsed workbook: the trimmed stage when there is one, else the untrimmed. */
function loadedTracks(parsed: ParsedWorkbook): LoadedTrack[] {
  return parsed.tracks.map((t) => {
    const data = (t.trimmed ?? t.untrimmed)!;
    return {
      trackId: t.trackId,
      hasTrimmed: t.trimmed !== null,
      unitLength: t.meta.unitLength,
      input: {
        position: data.position,
        error: data.error,
        upper: data.upper,
        lower: data.lower,
        untrimmedError: t.trimmed && t.untrimmed?.error.length ? t.untrimmed.error : null,
        untrimmedResistance: t.meta.untrimmedResistance,
        trimmedResistance: t.meta.trimmedResistance,
      },
    };
  });
}
