/** The nightly jobs available today; later stages (SPC, reports, exports) add theirs here. */
import { analyzeTracks } from "../analyze/analyze.ts";
import type { Config } from "../config/config.ts";
import { takeSnapshot } from "../db/snapshot.ts";
import { runSpc, type SpcOptions } from "../analyze/spc.ts";
import type { Job } from "./scheduler.ts";
import { exportParquetFromLive } from "../export/parquet.ts";

/** lta_meta key of the newest `ingested_at` the nightly Parquet export has written. */
export const PARQUET_WATERMARK = "parquet_loaded_until";

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of `at` in `timeZone`. */
export function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(at);
}

/** The SPC settings of `config`. */
export function spcOptions(config: Config, recent?: number): SpcOptions {
  return {
    baseline: config.spcBaseline,
    rules: { sigma_gradient: config.nelsonRulesSigma, linearity_error: config.nelsonRulesLinearity },
    modelRules: config.nelsonRulesByModel,
    k: config.nelsonK,
    recent,
  };
}

/** Builds the nightly job list for `config`. */
export function nightlyJobs(config: Config): Job[] {
  return [
    {
      // Re-applies the current formulas to the day's tracks (after a threshold or formula change).
      name: "reanalyze_day",
      async run({ db, scheduledFor }) {
        const since = new Date(scheduledFor.getTime() - DAY_MS).toISOString().slice(0, 19).replace("T", " ");
        const summary = await analyzeTracks(db, { since }, {
          offsetSearch: config.offsetSearch,
          nearMissPct: config.nearMissPct,
        });
        return `${summary.tracks} tracks since ${since}`;
      },
    },
    {
      // Control limits, Nelson rules and drift over every model's whole history.
      name: "spc",
      async run({ db }) {
        const summary = await db.transaction(() => runSpc(db, spcOptions(config)));
        return `${summary.models} models, ${summary.newAlarms} new alarm(s)`;
      },
    },
    {
      // The report of the day before the run (local date of the scheduled time).
      name: "report",
      async run({ db, scheduledFor }) {
        const day = localDate(new Date(scheduledFor.getTime() - DAY_MS), config.timeZone);
        const { buildReport } = await import("../render/report.ts");
        const result = await buildReport(db, {
          date: day,
          reportsDir: config.reportsDir,
          spcBaseline: config.spcBaseline,
          capabilityMinN: config.capabilityMinN,
        });
        return `${result.index}: ${result.tracks} tracks, ${result.trackCharts} charts`;
      },
    },
    {
      // A copy of the database for BI tools and notebooks (the scheduler holds the exclusive turn).
      name: "snapshot",
      async run({ db }) {
        return await takeSnapshot(db, config.snapshotKeep);
      },
    },
    ...(config.parquetNightly ? [parquetJob(config)] : []),
    {
      // Folds the write-ahead log into the database file, so a restart replays little.
      name: "checkpoint",
      async run({ db }) {
        await db.checkpoint();
      },
    },
  ];
}

/**
 * What was loaded since the previous nightly export, as a new Parquet file set: each file's rows reach the
 * lake once. The watermark moves only after the export folder is in place.
 */
function parquetJob(config: Config): Job {
  return {
    name: "parquet_export",
    async run({ db }) {
      const after = await db.value("SELECT value FROM lta_meta WHERE key = $1", [PARQUET_WATERMARK]);
      // The scheduler already holds the exclusive turn for the whole job.
      const manifest = await exportParquetFromLive(db, (work) => work(), {
        outDir: config.exportDir,
        site: config.site,
        keepDays: config.exportKeepDays,
        after: after === null ? undefined : String(after),
      });
      if (manifest.loadedUntil !== null) {
        await db.exec("INSERT OR REPLACE INTO lta_meta VALUES ($1, $2)", [
          PARQUET_WATERMARK,
          manifest.loadedUntil,
        ]);
      }
      const pruned = manifest.pruned.length ? `; removed ${manifest.pruned.length} superseded export(s)` : "";
      return `${manifest.exportId}: ${manifest.tables.tracks.rows} tracks, ${manifest.tables.final_tests.rows} final tests${pruned}`;
    },
  };
}
