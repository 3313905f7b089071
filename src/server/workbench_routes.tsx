/**
 * The workbench's history pages: the dashboard at `/`, the model list and a model's page, and Final Test
 * against trim. Each reads the range and station from the query string, runs the reads of `src/db` and
 * `src/analyze` on one reading connection, and renders the answer.
 */
import type { Context, Hono } from "hono";
import { rankAttention } from "../analyze/attention.ts";
import { capability } from "../analyze/capability.ts";
import type { Connection } from "../db/database.ts";
import {
  dailyPassRate,
  dashboardCards,
  dataAsOf,
  failurePareto,
  type HistoryFilter,
  knownSystems,
  modelSigns,
} from "../db/dashboard_reads.ts";
import { comparePerModel, confusionMatrix, disagreements } from "../db/compare_reads.ts";
import { modelSummaries } from "../db/history_reads.ts";
import { modelFailures, modelScorecard, modelTrackIds } from "../db/model_reads.ts";
import { alarmList } from "../db/alarm_reads.ts";
import { modelTrendSvgs } from "../render/model_trends.ts";
import { paretoSvg, sparklineSvg } from "../render/page_charts.ts";
import { driftChartSvg, imrChartSvg } from "../render/spc_charts.ts";
import { addDays } from "../days.ts";
import { localDate } from "../schedule/jobs.ts";
import { ComparePage } from "../web/compare_page.tsx";
import { DashboardPage } from "../web/dashboard_page.tsx";
import { NotFoundPage } from "../web/file_page.tsx";
import { ModelPage } from "../web/model_page.tsx";
import { ModelsPage } from "../web/models_page.tsx";
import { dateRange, previousRange } from "../web/range.ts";
import type { RangeView } from "../web/range_form.tsx";
import type { ServerContext } from "./context.ts";

type Read = <T>(work: (c: Connection) => Promise<T>) => Promise<T>;

/** Rows a page lists at most. */
const LIST_LIMIT = 100;

/** The range and station a request asks for, with the systems the filter offers. */
async function rangeView(
  c: Context,
  r: Connection,
  ctx: ServerContext,
): Promise<RangeView & { filter: HistoryFilter }> {
  const range = dateRange(c.req.query(), localDate(new Date(), ctx.config.timeZone));
  const systems = await knownSystems(r);
  const asked = c.req.query("system");
  const system = systems.some((s) => s.system === asked) ? asked! : null;
  return { range, systems, system, filter: { from: range.from, to: range.to, system } };
}

export function addWorkbenchRoutes(app: Hono, read: Read, ctx: ServerContext): void {
  app.get("/", async (c) => c.html(<DashboardPage v={await read((r) => dashboard(c, r, ctx))} />));
  app.get("/models", async (c) => c.html(<ModelsPage models={await read(modelSummaries)} />));
  app.get("/models/:model", async (c) => {
    const view = await read((r) => modelView(c, r, ctx));
    if (!view) {
      return c.html(<NotFoundPage what={`No analysed tracks of model ${c.req.param("model")}.`} />, 404);
    }
    return c.html(<ModelPage v={view} />);
  });
  app.get("/compare", async (c) => {
    const v = await read(async (r) => {
      const rv = await rangeView(c, r, ctx);
      const { from, to } = rv.range;
      return {
        ...rv,
        perModel: await comparePerModel(r, from, to),
        matrix: await confusionMatrix(r, from, to),
        rows: await disagreements(r, from, to, LIST_LIMIT),
        limit: LIST_LIMIT,
      };
    });
    return c.html(<ComparePage v={v} />);
  });
}

async function dashboard(c: Context, r: Connection, ctx: ServerContext) {
  const rv = await rangeView(c, r, ctx);
  const today = localDate(new Date(), ctx.config.timeZone);
  const signs = await modelSigns(r, rv.filter, previousRange(rv.range));
  const cpk = await capability(r, {
    since: rv.range.from ?? undefined,
    until: rv.range.to,
    minN: ctx.config.capabilityMinN,
  });
  const cpkOf = (model: unknown) =>
    cpk.find((k) => k.model === model && k.metric === "sigma_gradient")?.cpk ?? null;
  const pareto = await failurePareto(r, rv.filter);
  return {
    ...rv,
    asOf: await dataAsOf(r),
    timeZone: ctx.config.timeZone,
    cards: await dashboardCards(r, rv.filter, today),
    sparkline: await sparklineSvg(
      await dailyPassRate(r, { ...rv.filter, from: addDays(today, -89), to: today }),
    ),
    attention: rankAttention(signs.map((s) => ({
      model: String(s.model),
      tracks: Number(s.tracks),
      failing: Number(s.failing),
      passRate: Number(s.pass_rate),
      passRateBefore: s.pass_rate_before === null ? null : Number(s.pass_rate_before),
      openAlarms: Number(s.open_alarms),
      driftAlarms: Number(s.drift_alarms),
      cpk: cpkOf(s.model),
    }))),
    pareto,
    paretoSvg: await paretoSvg(pareto, `${rv.range.label}${rv.system ? ` · system ${rv.system}` : ""}`),
  };
}

async function modelView(c: Context, r: Connection, ctx: ServerContext) {
  const model = c.req.param("model")!;
  const rv = await rangeView(c, r, ctx);
  const trackIds = await modelTrackIds(r, model);
  if (trackIds.length === 0) return null;
  const track = trackIds.find((t) => t === c.req.query("track")) ?? null;
  const score = await modelScorecard(r, model, rv.filter, track) ??
    { tracks: 0, files: 0, units: 0, fails: 0, warnings: 0, near_misses: 0, first_test: "—", last_test: "—" };
  const cap = await capability(r, {
    model,
    since: rv.range.from ?? undefined,
    until: rv.range.to,
    byTrack: track !== null,
    minN: ctx.config.capabilityMinN,
  });
  const charts = await modelTrendSvgs(r, {
    model,
    from: rv.range.from,
    to: rv.range.to,
    track,
    label: rv.range.label,
  });
  for (const metric of ["sigma_gradient", "linearity_error"] as const) {
    const imr = await imrChartSvg(r, model, metric);
    if (imr) charts.push(imr);
  }
  const drift = await driftChartSvg(r, model, ctx.config.spcBaseline);
  if (drift) charts.push(drift);
  return {
    ...rv,
    model,
    track,
    trackIds,
    score,
    capability: cap.filter((k) => k.track_id === track),
    charts,
    alarms: await alarmList(r, { show: "all", model, rule: null, from: null, limit: 20 }),
    failures: await modelFailures(r, model, rv.filter, track, 20),
  };
}
