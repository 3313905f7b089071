/**
 * The routes every CLI command goes through while the service runs (DuckDB lets no second process open
 * the file): alarms, SPC, capability, charts, reports, Excel exports, re-analysis, reprocessing and the
 * nightly jobs. They only translate: the work is in `src/actions`, writes run in the service's exclusive
 * turn, and long work answers with a job id (`GET /api/jobs/{id}`).
 */
import type { Context, Hono } from "hono";
import { join } from "node:path";
import { acknowledgeAlarm, listAlarms, resolveAlarm } from "../actions/alarms.ts";
import { alarmFilterOf, apiPage } from "../actions/alarm_filter.ts";
import {
  capabilityTable,
  excelExport,
  type Exclusive,
  reanalyze,
  reportFor,
  spcNow,
  type SpcRequest,
  trackChart,
} from "../actions/history.ts";
import { ActionError } from "../actions/errors.ts";
import type { SpcMetric } from "../analyze/spc.ts";
import type { JobRegistry, Progress } from "../actions/jobs.ts";
import type { Config } from "../config/config.ts";
import { type Connection, type Database, withConnection } from "../db/database.ts";
import { databaseErrorCode } from "../db/errors.ts";
import { checkDatabase } from "../db/verify.ts";

export interface CommandContext {
  db: Database;
  config: Config;
  exclusive: Exclusive;
  jobs: JobRegistry;
  /**
   * Retries every quarantined file (or those of `fileIds`) through the service's own load path; the
   * result is `lta reprocess`'s.
   */
  reprocess(progress: Progress, fileIds?: number[] | null): Promise<unknown>;
  /** Runs the nightly jobs (all, or those named) now; returns each job's outcome. */
  runJobs(names: string[] | undefined): Promise<unknown>;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar day as `YYYY-MM-DD` (a pattern alone let 2024-13-45 through to a 500). */
export function isIsoDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const day = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().startsWith(text);
}

/** The JSON object a writing route was sent (`{}` for an empty body); a 400 for anything else. */
/** `POST /api/spc`'s body as `lta spc` sends it, checked. */
function spcRequest(body: Record<string, unknown>): SpcRequest {
  const object = (key: string) => {
    const v = body[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "object" || Array.isArray(v)) {
      throw new ActionError("bad_request", `${key} must be an object`);
    }
    return v as Record<string, unknown>;
  };
  const recompute = object("recompute");
  const exclude = object("exclude");
  const day = (o: Record<string, unknown>, key: string) => {
    const v = optionalString(o, key);
    if (v !== undefined && !isIsoDate(v)) throw new ActionError("bad_request", `${key} must be YYYY-MM-DD`);
    return v;
  };
  const count = (o: Record<string, unknown>, key: string) => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (!Number.isInteger(v) || (v as number) < 1) {
      throw new ActionError("bad_request", `${key} must be a whole number above 0`);
    }
    return v as number;
  };
  return {
    model: optionalString(body, "model"),
    recompute: recompute && {
      from: day(recompute, "from"),
      to: day(recompute, "to"),
      points: count(recompute, "points"),
      reason: optionalString(recompute, "reason") ?? "",
      by: optionalString(recompute, "by") ?? "unknown",
    },
    exclude: exclude && {
      fileId: count(exclude, "fileId") ?? 0,
      // spcNow checks the metric, for this route and the CLI alike.
      metric: optionalString(exclude, "metric") as SpcMetric | undefined,
      reason: optionalString(exclude, "reason") ?? "",
      by: optionalString(exclude, "by") ?? "unknown",
    },
  };
}

async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  try {
    const body = JSON.parse(text);
    if (body && typeof body === "object" && !Array.isArray(body)) return body;
  } catch { /* answered below */ }
  throw new ActionError("bad_request", "send a JSON object as the request body");
}

function optionalString(body: Record<string, unknown>, key: string, pattern?: RegExp): string | undefined {
  const v = body[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string" || (pattern && !(pattern === DATE ? isIsoDate(v) : pattern.test(v)))) {
    throw new ActionError("bad_request", `${key} must be ${pattern === DATE ? "YYYY-MM-DD" : "text"}`);
  }
  return v;
}

/** A job's failure code: a database error's own, else `failed`. */
const jobCode = (e: unknown) => databaseErrorCode(e) ?? (e instanceof ActionError ? e.code : "failed");

/**
 * Adds the command routes to `app`; `limited` answers 429 when the hourly allowance of copies (snapshots
 * and exports) is spent, else returns null.
 */
export function addCommandRoutes(
  app: Hono,
  ctx: CommandContext,
  limited: (c: Context) => Response | null,
): void {
  const read: Read = (work) => withConnection(ctx.db, work);
  addHistoryRoutes(app, ctx, read, limited);
  addJobRoutes(app, ctx, read);
}

type Read = <T>(work: (c: Connection) => Promise<T>) => Promise<T>;

/** Adds the routes of the history commands: alarms, SPC, capability, charts, reports, Excel exports. */
function addHistoryRoutes(
  app: Hono,
  ctx: CommandContext,
  read: Read,
  limited: (c: Context) => Response | null,
): void {
  app.get("/api/alarms", async (c) => {
    const q = c.req.query();
    const { limit, offset } = apiPage(q);
    return c.json(await read((r) => listAlarms(r, alarmFilterOf(q, limit, offset))));
  });

  app.post("/api/alarms/:id/:step{ack|resolve}", async (c) => {
    const alarmId = Number(c.req.param("id"));
    if (!Number.isSafeInteger(alarmId)) throw new ActionError("bad_request", "the alarm id must be a number");
    const body = await jsonBody(c);
    const ack = {
      alarmId,
      cause: optionalString(body, "cause") ?? "",
      by: optionalString(body, "by") ?? "unknown",
      note: optionalString(body, "note") ?? undefined,
    };
    if (c.req.param("step") === "ack") {
      await ctx.exclusive(() => acknowledgeAlarm(ctx.db, ack));
      return c.json({ alarm_id: alarmId, acknowledged: true });
    }
    const action = optionalString(body, "action") ?? "";
    await ctx.exclusive(() => resolveAlarm(ctx.db, { ...ack, action }));
    return c.json({ alarm_id: alarmId, resolved: true });
  });

  app.post("/api/spc", async (c) => {
    const request = spcRequest(await jsonBody(c));
    return c.json(await ctx.exclusive(() => spcNow(ctx.db, ctx.config, request)));
  });

  app.get("/api/capability", async (c) => {
    const since = c.req.query("since");
    if (since && !isIsoDate(since)) throw new ActionError("bad_request", "since must be YYYY-MM-DD");
    const request = { model: c.req.query("model"), since, byTrack: c.req.query("byTrack") === "1" };
    return c.json(await read((r) => capabilityTable(r, ctx.config, request)));
  });

  app.get("/api/chart", async (c) => {
    const file = c.req.query("file");
    if (!file) throw new ActionError("bad_request", "name the file: ?file=NAME or ?file=ID");
    const chart = await read((r) => trackChart(r, file, c.req.query("track")));
    return c.body(chart.svg, 200, { "content-type": "image/svg+xml", "x-lta-track": chart.trackId });
  });

  app.post("/api/reports", async (c) => {
    const body = await jsonBody(c);
    const date = optionalString(body, "date", DATE);
    const station = optionalString(body, "station");
    return c.json(await read((r) => reportFor(r, ctx.config, date, station)));
  });

  app.post("/api/exports/xlsx", async (c) => limited(c) ?? await excelAnswer(c, ctx, read));
}

/** Adds the routes of long work (answered with a job id) and the database check. */
function addJobRoutes(app: Hono, ctx: CommandContext, read: Read): void {
  app.post("/api/analyze", async (c) => {
    const body = await jsonBody(c);
    const selection = {
      all: body.all === true,
      model: optionalString(body, "model"),
      since: optionalString(body, "since", DATE),
    };
    const job = ctx.jobs.start(
      "analyze",
      (progress) => reanalyze(ctx.db, ctx.config, selection, ctx.exclusive, progress),
      jobCode,
    );
    return c.json(job, 202);
  });

  app.post("/api/reprocess", (c) => c.json(ctx.jobs.start("reprocess", ctx.reprocess, jobCode), 202));

  app.post("/api/jobs/run", async (c) => {
    const names = (await jsonBody(c)).jobs;
    if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== "string"))) {
      throw new ActionError("bad_request", 'jobs must be a list of job names, e.g. {"jobs": ["snapshot"]}');
    }
    return c.json(ctx.jobs.start("nightly", () => ctx.runJobs(names as string[] | undefined), jobCode), 202);
  });

  app.get("/api/doctor", async (c) => c.json({ checks: await read((r) => checkDatabase(r, ctx.config.db)) }));

  app.get("/api/jobs/:id", (c) => {
    const job = ctx.jobs.get(Number(c.req.param("id")));
    return job ? c.json(job) : c.json({ error: `no job ${c.req.param("id")}`, code: "not_found" }, 404);
  });
}

/** `POST /api/exports/xlsx`: the workbook written to scratch space, sent, and removed. */
async function excelAnswer(c: Context, ctx: CommandContext, read: Read): Promise<Response> {
  const body = await jsonBody(c);
  const request = {
    model: optionalString(body, "model"),
    station: optionalString(body, "station"),
    since: optionalString(body, "since", DATE),
    until: optionalString(body, "until", DATE),
  };
  const dir = await Deno.makeTempDir({ dir: await tempParent(ctx.config), prefix: "xlsx-" });
  try {
    const out = join(dir, "export.xlsx");
    const tracks = await read((r) => excelExport(r, ctx.config, out, request));
    return c.body(await Deno.readFile(out), 200, {
      "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "x-lta-tracks": String(tracks),
    });
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Scratch space for exports on their way to the client: beside the exports folder. */
async function tempParent(config: Config): Promise<string> {
  const dir = join(config.exportDir, ".tmp");
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}
