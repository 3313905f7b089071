/**
 * A model's SPC series and the episodes found on it: the ordered values of a metric, and runs of
 * out-of-control points that the Nelson rules and the drift statistics both report as episodes.
 */
export type SpcMetric = "sigma_gradient" | "linearity_error";
export const SPC_METRICS: SpcMetric[] = ["sigma_gradient", "linearity_error"];

/**
 * One SPC stream: a model's track on one station. A unit's TRK1 and TRK2 are trimmed separately, and two
 * stations trim with their own laser and fixture, so each (track, station) has its own series, limits and
 * alarms. `track` null is every track of the model mixed, the one stream there was before schema version 7
 * (its alarms and limits stay readable); `station` null is the files that record no station (a flat inbox,
 * or loaded before version 7).
 */
export interface Series {
  model: string;
  track: string | null;
  station: string | null;
}

/** "8340-1 TRK2 @ LT-3", as pages and messages name a series. */
export const seriesName = (s: Series) =>
  [s.model, s.track, s.station ? `@ ${s.station}` : null].filter(Boolean).join(" ");

/** The parameters of a series after the model's `$1`: its track, then its station (see `seriesCte`). */
export const seriesParams = (s: Series) => [s.track, s.station];

/**
 * The ordered series of `metric` for the model in `$1`, the track in `$at` and the station in `$at+1`
 * (analysable tracks), as a CTE named `series`.
 */
export function seriesCte(metric: SpcMetric, at: number): string {
  if (!SPC_METRICS.includes(metric)) throw new Error(`unknown SPC metric ${metric}`);
  const [track, station] = [`$${at}`, `$${at + 1}`];
  return `series AS (
    SELECT row_number() OVER (ORDER BY test_date, file_id, track_id) AS i, file_id, track_id, serial, test_date,
           ${metric} AS x
    FROM v_tracks WHERE model = $1 AND (${track}::VARCHAR IS NULL OR track_id = ${track})
      AND station IS NOT DISTINCT FROM ${station}::VARCHAR
      AND overall_status <> 'ERROR' AND ${metric} IS NOT NULL AND isfinite(${metric}))`;
}

/** The track and station columns a series' limits are stored under ('' for a null one). */
export const limitsKey = (s: Series) => [s.track ?? "", s.station ?? ""];

/** A run of points breaking one rule, by their positions `i` in the series. */
export interface Episode {
  rule: string;
  description: string;
  firstI: number;
  lastI: number;
}

/** With `recent`, only the episodes that reach the newest `recent` of `total` points (the others cannot have changed). */
export function reachingNewest(episodes: Episode[], total: number, recent?: number): Episode[] {
  return recent ? episodes.filter((e) => e.lastI > total - recent) : episodes;
}

/** Turns per-point out-of-control flags into episodes that close after 5 in-control points in a row. */
export class AlarmTracker {
  #open = new Map<string, Episode & { calm: number }>();
  #closed: Episode[] = [];

  step(rule: string, description: string, out: boolean, i: number): void {
    const open = this.#open.get(rule);
    if (out) {
      if (open) {
        open.lastI = i;
        open.calm = 0;
      } else {
        this.#open.set(rule, { rule, description, firstI: i, lastI: i, calm: 0 });
      }
    } else if (open && ++open.calm >= 5) {
      this.#closed.push({ rule, description, firstI: open.firstI, lastI: open.lastI });
      this.#open.delete(rule);
    }
  }

  done(): Episode[] {
    const all = [...this.#closed, ...[...this.#open.values()].map(({ calm: _, ...e }) => e)];
    return all.sort((a, b) => a.firstI - b.firstI || a.rule.localeCompare(b.rule));
  }
}
