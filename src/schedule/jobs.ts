/** The nightly jobs available today; later stages (SPC, reports, exports) add theirs here. */
import { analyzeTracks } from "../analyze/analyze.ts";
import type { Config } from "../config/config.ts";
import type { Job } from "./scheduler.ts";

const DAY_MS = 86_400_000;

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
      // Folds the write-ahead log into the database file, so a restart replays little.
      name: "checkpoint",
      async run({ db }) {
        await db.conn.run("CHECKPOINT");
      },
    },
  ];
}
