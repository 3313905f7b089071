/**
 * The engineers' pages: search, a unit's story, a file. They translate the request to the reads in
 * `src/db` and render the answer (`src/web`), nothing more.
 */
import type { Hono } from "hono";
import { pageToRead, paging } from "./paging.ts";
import { acknowledgeAlarm, resolveAlarm } from "../actions/alarms.ts";
import { alarmFilterOf } from "../actions/alarm_filter.ts";
import { ActionError } from "../actions/errors.ts";
import type { CommandContext } from "./command_routes.ts";
import { AlarmsPage } from "../web/alarms_page.tsx";
import type { Connection } from "../db/database.ts";
import { fileWithTracks } from "../db/history_reads.ts";
import {
  alarmEvidence,
  alarmList,
  alarmRules,
  modelsWithAlarms,
  stationsWithAlarms,
} from "../db/alarm_reads.ts";
import { AlarmPage } from "../web/alarm_page.tsx";
import type { SpcMetric } from "../analyze/spc_series.ts";
import { imrChart } from "../render/spc_charts.ts";
import {
  quarantinedFiles,
  recentJobRuns,
  searchHistory,
  unitFinalTests,
  unitTracks,
} from "../db/unit_reads.ts";
import { SCHEMA_VERSION } from "../db/migrations.ts";
import { PARSER_VERSION } from "../ingest/ledger.ts";
import { ANALYSIS_VERSION } from "../analyze/track.ts";
import { ServicePage } from "../web/service_page.tsx";
import type { ServerContext } from "./context.ts";
import { databaseErrorCode } from "../db/errors.ts";
import { QuarantinePage } from "../web/quarantine_page.tsx";
import { SearchPage } from "../web/search_page.tsx";
import { UnitPage } from "../web/unit_page.tsx";
import { FilePage, NotFoundPage } from "../web/file_page.tsx";
import { pdfBytes } from "../render/pdf.ts";
import { type LedgerFile, sourceCopy } from "../actions/source_copy.ts";
import { trackChartData, trackChartSvg } from "../render/track_chart.ts";
import { unitPdfBlocks } from "../web/page_pdfs.ts";
import { pdfAnswer } from "./workbench_routes.tsx";

type Read = <T>(work: (c: Connection) => Promise<T>) => Promise<T>;

/** Track charts a unit's PDF draws at most (a unit re-trimmed many times lists every verdict still). */
const UNIT_PDF_CHARTS = 20;

/** Rows a list shows on one page. */
const PAGE_SIZE = 50;

/** The paths these routes serve (the reader gate admits them like the API). */
export const PAGE_PREFIXES = [
  "/live",
  "/models",
  "/compare",
  "/search",
  "/units/",
  "/files/",
  "/alarms",
  "/quarantine",
  "/service",
];

/** Writes that pages send as plain forms (same-origin is still required). */
export const isFormPost = (path: string) =>
  path === "/login" || path === "/quarantine/reprocess" || /^\/alarms\/\d+\/ack$/.test(path);

/** Only a path of this service: a `back` or `next` field must not send anyone elsewhere. */
export const localPath = (path: unknown) =>
  typeof path === "string" && /^\/(?![/\\])/.test(path) ? path : "/";

export function addPageRoutes(app: Hono, read: Read, ctx: ServerContext): void {
  addAlarmPages(app, read, ctx);
  addUnitPdf(app, read);
  addFilePages(app, read, ctx);
  addQuarantinePage(app, read, ctx);
  app.get("/service", async (c) =>
    c.html(
      <ServicePage
        view={ctx.service}
        timeZone={ctx.config.timeZone}
        versions={{
          "schema version": String(SCHEMA_VERSION),
          "reader version": PARSER_VERSION,
          "analysis version": ANALYSIS_VERSION,
        }}
        runs={await read(recentJobRuns)}
      />,
    ));
  app.get("/search", async (c) => {
    const q = (c.req.query("q") ?? "").trim().slice(0, 200);
    const { offset, read: limit } = pageToRead(c, PAGE_SIZE);
    const found = q ? await read((r) => searchHistory(r, q, limit, offset)) : { units: [], quarantined: [] };
    const pager = paging(c, PAGE_SIZE, Math.max(found.units.length, found.quarantined.length));
    return c.html(
      <SearchPage
        q={q}
        units={found.units.slice(0, PAGE_SIZE)}
        quarantined={found.quarantined.slice(0, PAGE_SIZE)}
        pager={pager}
      />,
    );
  });
  app.get("/units/:model/:serial", async (c) => {
    const { model, serial } = c.req.param();
    const [tracks, finals] = await read(async (r) => [
      await unitTracks(r, model, serial),
      await unitFinalTests(r, model, serial),
    ]);
    if (tracks.length === 0 && finals.length === 0) {
      return c.html(<NotFoundPage what={`No unit ${model} / ${serial} in the history.`} />, 404);
    }
    return c.html(<UnitPage model={model} serial={serial} tracks={tracks} finals={finals} />);
  });
}

/** Alarms, one alarm's evidence, and acknowledging from a form (through the writer, as the API's). */
function addAlarmPages(app: Hono, read: Read, ctx: CommandContext & ServerContext): void {
  app.get("/alarms", async (c) => {
    const q = c.req.query();
    const { offset, read: limit } = pageToRead(c, PAGE_SIZE);
    const filter = alarmFilterOf(q, limit, offset);
    const [alarms, rules, models, stations] = await read(async (r) => [
      await alarmList(r, filter),
      await alarmRules(r),
      await modelsWithAlarms(r),
      await stationsWithAlarms(r),
    ]);
    const self = `/alarms?${new URLSearchParams(Object.entries(q).filter(([k]) => k !== "back"))}`;
    return c.html(
      <AlarmsPage
        v={{
          ...filter,
          alarms: alarms.slice(0, PAGE_SIZE),
          rules,
          models,
          stations,
          causes: ctx.config.alarmCauses,
          self,
          timeZone: ctx.config.timeZone,
          pager: paging(c, PAGE_SIZE, alarms.length),
        }}
      />,
    );
  });
  app.get("/alarms/:id", async (c) => {
    const id = Number(c.req.param("id"));
    const found = Number.isSafeInteger(id) ? await read((r) => alarmEvidence(r, id)) : null;
    if (!found) return c.html(<NotFoundPage what={`No alarm ${c.req.param("id")}.`} />, 404);
    const metric = found.alarm.metric as SpcMetric;
    const series = {
      model: String(found.alarm.model),
      track: (found.alarm.track_id as string | null) ?? null,
      station: (found.alarm.station as string | null) ?? null,
    };
    const chart = metric ? await read((r) => imrChart(r, series, metric, id)) : null;
    return c.html(
      <AlarmPage v={{ ...found, chart, causes: ctx.config.alarmCauses, timeZone: ctx.config.timeZone }} />,
    );
  });
  app.post("/alarms/:id/:step{ack|resolve}", async (c) => {
    const form = await c.req.parseBody();
    const text = (key: string) => typeof form[key] === "string" ? String(form[key]).trim().slice(0, 500) : "";
    const alarmId = Number(c.req.param("id"));
    if (!text("by")) throw new ActionError("bad_request", "say who acknowledges the alarm");
    const ack = { alarmId, cause: text("cause"), by: text("by"), note: text("note") };
    if (c.req.param("step") === "ack") await ctx.exclusive(() => acknowledgeAlarm(ctx.db, ack));
    else await ctx.exclusive(() => resolveAlarm(ctx.db, { ...ack, action: text("action") }));
    return c.redirect(localPath(form.back), 303);
  });
}

/** Quarantined files, and reprocessing them all as a job of the service (ingest goes on meanwhile). */
function addQuarantinePage(app: Hono, read: Read, ctx: CommandContext): void {
  app.get("/quarantine", async (c) => {
    const job = ctx.jobs.get(Number(c.req.query("job")));
    const { offset, read: limit } = pageToRead(c, PAGE_SIZE);
    const station = c.req.query("station") || null;
    const listed = await read((r) => quarantinedFiles(r, limit, offset, station));
    return c.html(
      <QuarantinePage
        total={listed.total}
        station={station}
        rows={listed.rows.slice(0, PAGE_SIZE)}
        job={job}
        timeZone={ctx.config.timeZone}
        pager={paging(c, PAGE_SIZE, listed.rows.length)}
      />,
    );
  });
  app.post("/quarantine/reprocess", async (c) => {
    const form = await c.req.parseBody();
    const one = Number(form.file_id);
    const fileIds = form.file_id !== undefined && Number.isSafeInteger(one) ? [one] : null;
    const job = ctx.jobs.start(
      "reprocess",
      (progress) => ctx.reprocess(progress, fileIds),
      (e) => databaseErrorCode(e) ?? "failed",
    );
    return c.redirect(`/quarantine?job=${job.id}`, 303);
  });
}

/** A unit's page as a PDF: its verdicts, Final Tests and (up to `UNIT_PDF_CHARTS`) track charts. */
function addUnitPdf(app: Hono, read: Read): void {
  app.get("/units/:model/:serial/report.pdf", async (c) => {
    const { model, serial } = c.req.param();
    const story = await read(async (r) => {
      const tracks = await unitTracks(r, model, serial);
      const charts: string[] = [];
      for (const t of tracks.filter((t) => t.overall_status !== "ERROR").slice(0, UNIT_PDF_CHARTS)) {
        const data = await trackChartData(r, Number(t.file_id), String(t.track_id));
        if (data) charts.push(await trackChartSvg(data));
      }
      return { tracks, finals: await unitFinalTests(r, model, serial), charts };
    });
    if (story.tracks.length === 0 && story.finals.length === 0) {
      return c.json({ error: `no unit ${model} / ${serial} in the history`, code: "not_found" }, 404);
    }
    const blocks = unitPdfBlocks(story.tracks, story.finals, story.charts);
    return pdfAnswer(
      c,
      `lta-unit-${model}-${serial}.pdf`,
      await pdfBytes(`Unit ${model} / ${serial}`, blocks),
    );
  });
}

/** A file's ledger row and tracks, and its source while a copy is kept. */
function addFilePages(app: Hono, read: Read, ctx: ServerContext): void {
  app.get("/files/:id", async (c) => {
    const id = Number(c.req.param("id"));
    const file = Number.isSafeInteger(id) ? await read((r) => fileWithTracks(r, id)) : null;
    if (!file) return c.html(<NotFoundPage what={`No file ${c.req.param("id")} in the ledger.`} />, 404);
    const { tracks, ...row } = file;
    const source = await sourceCopy(ledgerFile(row), ctx.config);
    return c.html(
      <FilePage file={row} tracks={tracks} timeZone={ctx.config.timeZone} source={source !== null} />,
    );
  });
  app.get("/files/:id/source", async (c) => {
    const id = Number(c.req.param("id"));
    const file = Number.isSafeInteger(id) ? await read((r) => fileWithTracks(r, id)) : null;
    const source = file && await sourceCopy(ledgerFile(file), ctx.config);
    if (!file || !source) {
      return c.json(
        { error: `the source of file ${c.req.param("id")} is no longer kept`, code: "not_found" },
        404,
      );
    }
    const name = String((file as Record<string, unknown>).file_name).replace(/[^\w .()-]+/g, "_");
    return c.body(await Deno.readFile(source), 200, {
      "content-type": "application/octet-stream",
      "content-disposition": `attachment; filename="${name}"`,
    });
  });
}

/** The ledger columns that find a file's source. */
function ledgerFile(row: Record<string, unknown>): LedgerFile {
  return {
    path: String(row.path),
    sha256: String(row.sha256),
    quarantine_path: row.quarantine_path === null ? null : String(row.quarantine_path),
    ingested_at: String(row.ingested_at),
  };
}
