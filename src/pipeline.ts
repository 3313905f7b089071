/**
 * The per-file pipeline the CLI and the watcher share: load a file (ingest → db) and analyse its tracks
 * (analyze) in the same transaction, from the parsed data still in memory, then draw its charts when
 * configured (render). It sits above the stages so none reaches back up the chain.
 */
import type { Config } from "./config/config.ts";
import type { Database } from "./db/database.ts";
import { type FileReader, loadFile, type LoadOutcome } from "./ingest/load.ts";
import type { ParsedWorkbook } from "./ingest/layouts/trim_layout.ts";
import { analyzeLoadedFile, type LoadedTrack } from "./analyze/analyze.ts";
import { analyzeFinalTests } from "./analyze/final_test_verdict.ts";
import { join } from "node:path";
import { stationOf } from "./ingest/station.ts";

/**
 * Loads `path` and analyses its tracks; `replaces` names a quarantined row being retried, `read` how the
 * file is read (the parse worker; in this thread when absent).
 */
export async function processFile(
  db: Database,
  path: string,
  config: Config,
  replaces?: number,
  flushRows?: number,
  read?: FileReader,
): Promise<LoadOutcome> {
  const outcome = await loadFile(db, path, {
    read,
    station: stationOf(path, config.inbox, config.stations),
    quarantineDir: config.quarantineDir,
    quarantineMode: config.quarantineMode,
    replaces,
    flushRows,
    afterLoad: async ({ fileId, model, parsed }) => {
      const settings = { offsetSearch: config.offsetSearch, nearMissPct: config.nearMissPct };
      if (parsed.kind === "final_test") {
        await analyzeFinalTests(
          db,
          fileId,
          parsed.tracks.map((t) => ({ trackId: t.trackId, ...t.points })),
          settings,
        );
      } else {
        await analyzeLoadedFile(db, fileId, model, loadedTracks(parsed), settings);
      }
    },
  });
  if (outcome.kind === "loaded" && outcome.fileKind === "trim" && config.trackCharts) {
    await writeTrackCharts(db, outcome.fileId, config.reportsDir);
  }
  return outcome;
}

/** Renders every track of a loaded file to `<reportsDir>/files/<model>/<file>_<track>.svg` (db → render). */
async function writeTrackCharts(db: Database, fileId: number, reportsDir: string): Promise<void> {
  // Loaded on first use: Vega costs tens of MB that a service without charts need not carry.
  const { trackChartData, trackChartSvg } = await import("./render/track_chart.ts");
  const { safeName } = await import("./render/report.ts");
  for (
    const t of await db.rows("SELECT track_id FROM tracks WHERE file_id = $1 ORDER BY track_id", [fileId])
  ) {
    const data = await trackChartData(db, fileId, String(t.track_id));
    if (!data) continue;
    const dir = join(reportsDir, "files", safeName(data.model ?? "unknown"));
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(
      join(dir, `${safeName(data.fileName)}_${safeName(data.trackId)}.svg`),
      await trackChartSvg(data),
    );
  }
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
