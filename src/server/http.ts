/**
 * The HTTP layer of `lta serve` (Hono on `Deno.serve`): routes only. Every read runs on its own DuckDB
 * connection, so it sees committed data and never waits for, nor blocks, the ingest transaction.
 */
import { type Context, Hono } from "hono";
import { extname, join, normalize, resolve } from "node:path";
import { type Connection, withConnection } from "../db/database.ts";
import { withoutPaths } from "../db/query_guard.ts";
import { answers, lastJobRuns } from "../db/history_reads.ts";
import { openAlarmCounts } from "../db/alarm_reads.ts";
import { livePage } from "./live_page.ts";
import { addCommandRoutes } from "./command_routes.ts";
import { addApiRoutes } from "./api_routes.ts";
import { serviceGauges } from "./metrics_gauges.ts";
import type { ServerContext } from "./context.ts";
import { ActionError } from "../actions/errors.ts";
import { DatabaseError, type DatabaseErrorCode } from "../db/errors.ts";
import { bodyCap, hostGuard, pageHeaders, RateLimit, writeGuard } from "./guard.ts";
import { readerAdmission, ReaderGate } from "./reader_gate.ts";
import { addPageRoutes, isFormPost, PAGE_PREFIXES } from "./page_routes.tsx";
import { addWorkbenchRoutes } from "./workbench_routes.tsx";
import { addAssetRoutes } from "./assets.ts";
import { accessGuard, addLoginRoutes, Sessions } from "./access.tsx";

export type { ServerContext, ServiceView } from "./context.ts";

/** The routes, behind the guards (Host, token, same-origin JSON writes, the reader queue). */
export function createApp(ctx: ServerContext): Hono {
  const app = new Hono();
  const read = <T>(work: (c: Connection) => Promise<T>) => withConnection(ctx.db, work);
  app.use("*", hostGuard(ctx.config.httpAllowedHosts), bodyCap(), pageHeaders());
  const sessions = new Sessions();
  const tokens = { full: ctx.config.httpToken, read: ctx.config.httpReadToken };
  if (tokens.full) app.use("*", accessGuard(tokens, sessions));
  // Pages' forms (sign-in, acknowledging an alarm) post as forms; same-origin is still required.
  app.use("*", writeGuard(isFormPost));
  if (tokens.full) addLoginRoutes(app, tokens, sessions);
  const gate = new ReaderGate({
    active: ctx.config.httpReaders,
    waiting: ctx.config.httpReaderQueue,
    shareWhileLoading: ctx.config.httpReaderShare,
    loading: () => ctx.service.loading(),
  });
  app.use("*", readerAdmission(gate, ["/api/", ...PAGE_PREFIXES]));
  const limited = copyLimit(ctx.config.exportsPerHour);
  app.get("/health", (c) => c.json({ status: "ok" }));
  // Browsers ask for it on every page; without an answer they log a 404 in the console.
  app.get("/favicon.ico", (c) => c.body(null, 204));
  app.get("/ready", async (c) => {
    const problems = await readinessProblems(ctx, read);
    return c.json({ ready: problems.length === 0, problems }, problems.length ? 503 : 200);
  });
  app.get("/metrics", async (c) => {
    const [runs, open] = await read(async (r) => [await lastJobRuns(r), await openAlarmCounts(r)]);
    const gauges = serviceGauges(ctx.service, runs, open);
    return c.body(ctx.metrics.render(gauges), 200, { "content-type": "text/plain; version=0.0.4" });
  });
  addApiRoutes(app, ctx, read, limited);
  app.get("/reports/*", (c) => reportFile(c, ctx.config.reportsDir));
  addAssetRoutes(app);
  addCommandRoutes(app, ctx, limited);
  app.get("/live", async (c) => c.html(await read((r) => livePage(r, ctx))));
  addWorkbenchRoutes(app, read, ctx);
  addPageRoutes(app, read, ctx);
  app.onError((e, c) => {
    const answer = errorAnswer(e, c, ctx.db.path);
    // A 500 is lta's fault, not the client's: the IT person finds it in the service's log.
    if (answer.status === 500) {
      ctx.logger?.event("http_error", { method: c.req.method, path: c.req.path, error: e.message }, "error");
    }
    return answer;
  });
  return app;
}

/** Snapshots and exports on request: each is a full copy of the history, so a few an hour (429 past it). */
function copyLimit(perHour: number): (c: Context) => Response | null {
  const copies = new RateLimit(perHour, 3_600_000);
  return (c) => {
    const wait = copies.take();
    if (!wait) return null;
    c.header("retry-after", String(wait));
    return c.json({
      error: `at most ${perHour} snapshots and exports an hour; try again in ${wait} s`,
      code: "rate_limited",
    }, 429);
  };
}

/** What keeps the service from being ready: stopping, no watcher, memory, a pause, no inbox, no database. */
async function readinessProblems(
  ctx: ServerContext,
  read: <T>(work: (c: Connection) => Promise<T>) => Promise<T>,
): Promise<string[]> {
  const problems: string[] = [];
  if (ctx.service.stopping) problems.push("stopping");
  if (!ctx.service.watching) problems.push("inbox watcher not running");
  if (ctx.service.gate.sample() && ctx.service.gate.state === "critical") problems.push("memory critical");
  const paused = ctx.service.pause.current;
  if (paused) {
    problems.push(
      `ingest paused since ${new Date(paused.since).toISOString()}: ${paused.code} (${paused.message})`,
    );
  }
  if (!(await Deno.stat(ctx.config.inbox).then((i) => i.isDirectory, () => false))) {
    problems.push(`inbox ${ctx.config.inbox} is missing`);
  }
  try {
    await read(answers);
  } catch (e) {
    problems.push(`database: ${(e as Error).message}`);
  }
  return problems;
}

/** A file of the reports folder, never one outside it. */
async function reportFile(c: Context, reportsDir: string): Promise<Response> {
  const root = resolve(reportsDir);
  const path = resolve(join(root, normalize(decodeURIComponent(c.req.path.slice("/reports/".length)))));
  if (!path.startsWith(root + "/")) {
    return c.json({ error: "outside the reports folder", code: "bad_request" }, 400);
  }
  try {
    const bytes = await Deno.readFile(path);
    const type = { ".html": "text/html; charset=utf-8", ".svg": "image/svg+xml" }[extname(path)] ??
      "application/octet-stream";
    return c.body(bytes, 200, { "content-type": type });
  } catch {
    return c.json({ error: "no such report file" }, 404);
  }
}

/** Errors as JSON with a code, paths scrubbed: 400/404 for the request's fault, 5xx for the server's. */
function errorAnswer(e: Error, c: Context, dbPath: string): Response {
  if (e instanceof ActionError) {
    return c.json({ error: e.message, code: e.code }, e.code === "not_found" ? 404 : 400);
  }
  if (e instanceof DatabaseError) {
    if (DATABASE_STATUS[e.code] === 503) c.header("retry-after", "5");
    return c.json({ error: withoutPaths(e.message, dbPath), code: e.code }, DATABASE_STATUS[e.code]);
  }
  if (e instanceof URIError) {
    return c.json({ error: "the address has bad percent-encoding", code: "bad_request" }, 400);
  }
  return c.json({ error: withoutPaths(e.message, dbPath), code: "internal" }, 500);
}

/** The HTTP status of each database failure: the client's request was fine, the server cannot serve it. */
const DATABASE_STATUS: Record<DatabaseErrorCode, 500 | 503 | 507> = {
  database_locked: 503,
  database_damaged: 500,
  schema_too_new: 500,
  disk_full: 507,
  read_only: 503,
  database_invalidated: 503,
  database_missing: 503,
  out_of_memory: 503,
};

/** Starts listening; `port` 0 picks a free one. */
export function startHttpServer(ctx: ServerContext): { port: number; close(): Promise<void> } {
  const app = createApp(ctx);
  const server = Deno.serve(
    { hostname: ctx.config.httpHost, port: ctx.config.httpPort, onListen: () => {} },
    app.fetch,
  );
  return { port: server.addr.port, close: () => server.shutdown() };
}
