/**
 * SPC as an engineer runs it: evaluate now, recompute a model's limits from a baseline they choose (with
 * who and why), or leave a file out of its baselines (with a reason). One transaction each.
 */
import type { Config } from "../config/config.ts";
import type { Database } from "../db/database.ts";
import {
  runSpc,
  type Series,
  seriesOf,
  SPC_METRICS,
  type SpcMetric,
  type SpcSummary,
} from "../analyze/spc.ts";
import { type Baseline, type LimitsChange, recomputeLimits } from "../analyze/control_limits.ts";
import { spcOptions } from "../schedule/jobs.ts";
import { ActionError } from "./errors.ts";

export interface SpcRequest {
  model?: string;
  /** Adds a limits version (of `model`, or of every model) from this baseline. */
  recompute?: Baseline & LimitsChange;
  /** Leaves a file of `model` out of its baselines from now on (both metrics, or `metric`). */
  exclude?: { fileId: number; metric?: SpcMetric; reason: string; by: string };
}

export interface SpcResult extends SpcSummary {
  recomputed: Array<Series & { metric: SpcMetric; version?: number; centre?: number; why?: string }>;
  excluded?: number;
}

/** Exclusions, then new limits, then the rules and drift over every (or one) model's series. */
export async function spcNow(db: Database, config: Config, request: SpcRequest): Promise<SpcResult> {
  checkRequest(request);
  return await db.transaction(async () => {
    const known = (await db.rows("SELECT DISTINCT model FROM v_tracks WHERE model IS NOT NULL"))
      .map((r) => String(r.model));
    if (request.model && !known.includes(request.model)) {
      throw new ActionError("not_found", `no analysed tracks of model "${request.model}"`);
    }
    let excluded: number | undefined;
    if (request.exclude) excluded = await exclude(db, request.model, request.exclude);
    const recomputed: SpcResult["recomputed"] = [];
    if (request.recompute) {
      const { from, to, points, by, reason } = request.recompute;
      // Each track on each station is a series of its own: each gets a version from the same baseline days.
      for (const series of await seriesOf(db, request.model ? [request.model] : known)) {
        for (const metric of SPC_METRICS) {
          const limits = await recomputeLimits(
            db,
            series,
            metric,
            { from, to, points },
            { by, reason },
            minPoints(config),
          );
          recomputed.push({ ...series, metric, ...limits });
        }
      }
    }
    const summary = await runSpc(db, spcOptions(config), request.model ? [request.model] : undefined);
    return { ...summary, recomputed, excluded };
  });
}

/** What `lta spc` and `POST /api/spc` both must say: a named baseline, a reason, a known metric. */
function checkRequest({ recompute, exclude }: SpcRequest): void {
  const bad = (message: string) => new ActionError("bad_request", message);
  if (recompute && !recompute.from && !recompute.to) {
    throw bad(
      "--recompute-limits needs a baseline: --from DAY with --points N (the first N points from that day) " +
        "or --to DAY (a date range)",
    );
  }
  if ((recompute && !recompute.reason.trim()) || (exclude && !exclude.reason.trim())) {
    throw bad("say why with --reason TEXT: it is kept with the limits or the exclusion");
  }
  const metric = exclude?.metric;
  if (metric !== undefined && metric !== "sigma_gradient" && metric !== "linearity_error") {
    throw bad(`--metric must be sigma_gradient or linearity_error, got "${metric}"`);
  }
}

/** A recomputed baseline needs as many points as the first one. */
const minPoints = (config: Config) => config.spcBaseline;

async function exclude(db: Database, model: string | undefined, e: NonNullable<SpcRequest["exclude"]>) {
  if (!model) {
    throw new ActionError("bad_request", "name the model whose baseline leaves the file out (--model)");
  }
  const ofModel = await db.value("SELECT count(*) FROM files WHERE file_id = $1 AND model = $2", [
    e.fileId,
    model,
  ]);
  if (Number(ofModel) === 0) {
    throw new ActionError("not_found", `file ${e.fileId} is not a file of model "${model}"`);
  }
  await db.exec(
    "INSERT INTO spc_exclusions VALUES ($1, $2, $3, $4, $5, now()::TIMESTAMP)",
    [model, e.metric ?? null, e.fileId, e.reason.trim(), e.by],
  );
  return e.fileId;
}
