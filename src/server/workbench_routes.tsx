/**
 * The workbench's history pages: the dashboard at `/`, the model list and a model's page, and Final Test
 * against trim. Each reads the range and station from the query string, runs the reads of `src/db` and
 * `src/analyze` on one reading connection, and renders the answer.
 */
import type { Context, Hono } from "hono";
import { rankAttention } from "../analyze/attention.ts";
import { capability } from "../analyze/capability.ts";
import { CPK_TREND_RUNS, cpkTrendSvg } from "../render/cpk_trend.ts";
import type { Connection } from "../db/database.ts";
import {
  dailyPassRate,
  dashboardCards,
  dataAsOf,
  failurePareto,
  type HistoryFilter,
  knownSystems,
  modelSigns,
  stationComparison,
} from "../db/dashboard_reads.ts";
import { compareCounts, disagreements } from "../db/compare_reads.ts";
import { dataVersion, modelSummaries } from "../db/history_reads.ts";
import type { HtmlEscapedString } from "hono/utils/html";
import { PageCache } from "./page_cache.ts";
import { pageToRead, paging } from "./paging.ts";
import { pdfBytes } from "../render/pdf.ts";
import { modelPdfBlocks } from "../web/page_pdfs.ts";
import { modelFailures, modelScorecard, modelTrackIds } from "../db/model_reads.ts";
import { alarmList } from "../db/alarm_reads.ts";
import { modelTrends } from "../render/model_trends.ts";
import { paretoSvg, sparklineSvg } from "../render/page_charts.ts";
import { type ChartSpan, driftChartSvg, imrChart } from "../render/spc_charts.ts";
import { shortRunSvg } from "../render/short_run.ts";
import { SPC_METRICS } from "../analyze/spc_series.ts";
import { seriesOf } from "../analyze/spc.ts";
import type { Chart } from "../web/live_chart.tsx";
import { addDays } from "../days.ts";
import { localDate } from "../schedule/jobs.ts";
import { ComparePage } from "../web/compare_page.tsx";
import { DashboardPage } from "../web/dashboard_page.tsx";
import { NotFoundPage } from "../web/file_page.tsx";
import { ModelPage } from "../web/model_page.tsx";
import { ModelsPage } from "../web/models_page.tsx";
import { dateRange, previousRange } from "../web/range.ts";
import { type RangeView, sourceLabel } from "../web/range_form.tsx";
import type { ServerContext } from "./context.ts";

type Read = <T>(work: (c: Connection) => Promise<T>) => Promise<T>;

/** A trend is drawn live in the browser up to this many points; beyond, as the server drew it. */
const LIVE_POINTS = 3000;

/** How old a page may be when served while files are loading. */
const STALE_WHILE_LOADING_MS = 60_000;

/** Rows a page lists at most. */
const LIST_LIMIT = 100;

/** The range and station a request asks for, with the systems the filter offers. */
async function rangeView(
  c: Context,
  r: Connection,
  ctx: ServerContext,
): Promise<RangeView & { filter: HistoryFilter; today: string }> {
  const today = localDate(new Date(), ctx.config.timeZone);
  const range = dateRange(c.req.query(), today);
  const systems = await knownSystems(r);
  const asked = c.req.query("system");
  const system = systems.some((s) => s.system === asked) ? asked! : null;
  return { range, systems, system, today, filter: { from: range.from, to: range.to, system } };
}

export function addWorkbenchRoutes(app: Hono, read: Read, ctx: ServerContext): void {
  const cache = new PageCache();
  /** The page at this address for the current data, rendered by `render` only when the data changed. */
  const cached = (
    c: Context,
    render: (r: Connection) => Promise<HtmlEscapedString | Promise<HtmlEscapedString>>,
  ) =>
    read(async (r) => {
      const url = new URL(c.req.url);
      const key = url.pathname + url.search;
      // While files arrive one after another the data change every second; a page then shows what it
      // showed up to a minute ago (its "data as of" says when) instead of rendering for every visitor.
      const recent = ctx.service.loading() ? cache.recent(key, STALE_WHILE_LOADING_MS) : undefined;
      if (recent !== undefined) return c.html(recent);
      const version = `${await dataVersion(r)}|${localDate(new Date(), ctx.config.timeZone)}`;
      const hit = cache.get(key, version);
      if (hit !== undefined) return c.html(hit);
      const html = String(await (await render(r)).toString());
      cache.set(key, version, html);
      return c.html(html);
    });
  app.get("/", (c) => cached(c, async (r) => <DashboardPage v={await dashboard(c, r, ctx)} />));
  app.get("/models", (c) => cached(c, async (r) => <ModelsPage models={await modelSummaries(r)} />));
  app.get("/models/:model", async (c) => {
    const known = await read((r) => modelTrackIds(r, c.req.param("model")));
    if (known.length === 0) {
      return c.html(<NotFoundPage what={`No analysed tracks of model ${c.req.param("model")}.`} />, 404);
    }
    return await cached(c, async (r) => <ModelPage v={await modelView(c, r, ctx, known)} />);
  });
  app.get("/models/:model/report.pdf", async (c) => {
    const model = c.req.param("model");
    const view = await read(async (r) => {
      const known = await modelTrackIds(r, model);
      return known.length ? await modelView(c, r, ctx, known) : null;
    });
    if (!view) return c.json({ error: `no analysed tracks of model ${model}`, code: "not_found" }, 404);
    return pdfAnswer(c, `lta-model-${model}.pdf`, await pdfBytes(`Model ${model}`, modelPdfBlocks(view)));
  });
  app.get("/compare", (c) => cached(c, async (r) => <ComparePage v={await compareView(c, r, ctx)} />));
}

/** A PDF, shown in the browser with a file name to save it under. */
export function pdfAnswer(c: Context, name: string, bytes: Uint8Array<ArrayBuffer>): Response {
  return c.body(bytes, 200, {
    "content-type": "application/pdf",
    "content-disposition": `inline; filename="${name.replace(/[^A-Za-z0-9._-]+/g, "_")}"`,
  });
}

/** A page of the escapes and overkills, with its links to the others. */
async function disagreementPage(c: Context, r: Connection, from: string | null, to: string) {
  const { offset, read: limit } = pageToRead(c, LIST_LIMIT);
  const rows = await disagreements(r, from, to, limit, offset);
  return { rows: rows.slice(0, LIST_LIMIT), pager: paging(c, LIST_LIMIT, rows.length) };
}

async function compareView(c: Context, r: Connection, ctx: ServerContext) {
  const rv = await rangeView(c, r, ctx);
  const { from, to } = rv.range;
  return {
    ...rv,
    ...await compareCounts(r, from, to),
    ...await disagreementPage(c, r, from, to),
  };
}

async function dashboard(c: Context, r: Connection, ctx: ServerContext) {
  const rv = await rangeView(c, r, ctx);
  const signs = await modelSigns(r, rv.filter, previousRange(rv.range));
  const cpk = await capability(r, {
    since: rv.range.from ?? undefined,
    until: rv.range.to,
    minN: ctx.config.capabilityMinN,
    metric: "sigma_gradient",
  });
  const cpkOf = (model: unknown) =>
    cpk.find((k) => k.model === model && k.metric === "sigma_gradient")?.cpk ?? null;
  const pareto = await failurePareto(r, rv.filter);
  return {
    ...rv,
    asOf: await dataAsOf(r),
    timeZone: ctx.config.timeZone,
    cards: await dashboardCards(r, rv.filter, rv.today),
    sparkline: await sparklineSvg(
      await dailyPassRate(r, { ...rv.filter, from: addDays(rv.today, -89), to: rv.today }),
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
    stations: await stationComparison(r, rv.filter),
    paretoSvg: await paretoSvg(pareto, `${rv.range.label}${rv.system ? ` · ${sourceLabel(rv.system)}` : ""}`),
  };
}

async function modelView(c: Context, r: Connection, ctx: ServerContext, trackIds: string[]) {
  const model = c.req.param("model")!;
  const rv = await rangeView(c, r, ctx);
  const track = trackIds.find((t) => t === c.req.query("track")) ?? null;
  const score = await modelScorecard(r, model, rv.filter, track) ??
    { tracks: 0, files: 0, units: 0, fails: 0, warnings: 0, near_misses: 0, first_test: "—", last_test: "—" };
  const sample = {
    model,
    since: rv.range.from ?? undefined,
    until: rv.range.to,
    byTrack: track !== null,
    minN: ctx.config.capabilityMinN,
  };
  const cap = await capability(r, { ...sample, normality: true });
  const runs = await capability(r, { ...sample, windows: CPK_TREND_RUNS });
  const cpkTrend = await cpkTrendSvg(
    runs.filter((k) => k.track_id === track),
    `${model}${track ? ` ${track}` : ""} · ${rv.range.label}`,
  );
  const trends = await modelTrends(r, {
    model,
    from: rv.range.from,
    to: rv.range.to,
    track,
    label: rv.range.label,
  });
  // A live chart carries its points twice (SVG and spec): only up to LIVE_POINTS of them.
  const live = Number(score.tracks) <= LIVE_POINTS ? trends.live : undefined;
  const charts: Chart[] = trends.svgs.map((svg, i) => ({ svg, live: i === 0 ? live : undefined }));
  charts.push(
    ...await spcCharts(r, model, track === null ? trackIds : [track], rv.range, ctx.config.spcBaseline),
  );
  return {
    ...rv,
    model,
    track,
    trackIds,
    score,
    capability: cap.filter((k) => k.track_id === track),
    cpkTrend,
    charts,
    alarms: await alarmList(r, { show: "all", model, rule: null, from: null, limit: 20 }),
    failures: await modelFailures(r, model, rv.filter, track, 20),
  };
}

/**
 * Each track on each station is an SPC series of its own: its I-MR and drift charts. A model too new for
 * control limits gets the short-run charts of its family instead.
 */
async function spcCharts(r: Connection, model: string, tracks: string[], span: ChartSpan, baseline: number) {
  const charts: Chart[] = [];
  for (const series of (await seriesOf(r, [model])).filter((s) => tracks.includes(s.track!))) {
    for (const metric of SPC_METRICS) {
      const imr = await imrChart(r, series, metric, null, span);
      if (imr) charts.push(imr);
    }
    const drift = await driftChartSvg(r, series, baseline, span);
    if (drift) charts.push({ svg: drift });
  }
  if (charts.length > 0) return charts;
  for (const metric of SPC_METRICS) {
    const svg = await shortRunSvg(r, model, metric, baseline);
    if (svg) charts.push({ svg });
  }
  return charts;
}
