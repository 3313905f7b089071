/**
 * The HTTP layer of `lta serve` (Hono on `Deno.serve`): routes only. Every read runs on its own DuckDB
 * connection, so it sees committed data and never waits for, nor blocks, the ingest transaction.
 */
import { type Context, Hono } from "hono";
import type { ExportManifest } from "../export/parquet.ts";
import { extname, join, normalize, resolve } from "node:path";
import type { Config } from "../config/config.ts";
import { type Connection, type Database, withConnection } from "../db/database.ts";
import { QueryRejected, runReadOnlyQuery } from "../db/readonly_query.ts";
import { withoutPaths } from "../db/query_guard.ts";
import { formatRows } from "../db/values.ts";
import type { Metrics } from "../metrics.ts";
import type { MemoryGate } from "../memory/gate.ts";
import { livePage } from "./live_page.ts";
import type { IngestPause, RetryBook } from "../ingest/retry.ts";
import { addCommandRoutes, type CommandContext, isIsoDate } from "./command_routes.ts";
import { ActionError } from "../actions/errors.ts";
import { DatabaseError, type DatabaseErrorCode } from "../db/errors.ts";
import { bodyCap, hostGuard, pageHeaders, RateLimit, readerQueue, writeGuard } from "./guard.ts";

export interface ServiceView {
  gate: MemoryGate;
  /** Files waiting out a backoff (permission denied, changed while read, a failed load). */
  retries: RetryBook;
  /** Claiming paused for storage that cannot take writes. */
  pause: IngestPause;
  startedAt: number;
  watching: boolean;
  stopping: boolean;
  /** Files seen in the inbox and not yet claimed or finished. */
  pending(): number;
}

export interface ServerContext extends CommandContext {
  db: Database;
  config: Config;
  metrics: Metrics;
  service: ServiceView;
  /** Takes a consistent copy of the database file; returns its path. */
  snapshot(): Promise<string>;
  /** Writes a Parquet export of the files loaded since `since` (YYYY-MM-DD; all when absent). */
  exportParquet(since?: string): Promise<ExportManifest>;
}

const num = (v: string | undefined, fallback: number, max: number) => {
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.min(Math.floor(n), max) : fallback;
};

/** The routes. */
export function createApp(ctx: ServerContext): Hono {
  const app = new Hono();
  const read = <T>(work: (c: Connection) => Promise<T>) => withConnection(ctx.db, work);
  app.use("*", hostGuard(ctx.config.httpAllowedHosts), bodyCap(), pageHeaders());

  if (ctx.config.httpToken) {
    app.use("*", async (c, next) => {
      if (c.req.path === "/health") return await next();
      if (c.req.header("authorization") !== `Bearer ${ctx.config.httpToken}`) {
        return c.json({ error: "missing or wrong bearer token" }, 401);
      }
      await next();
    });
  }

  app.use("*", writeGuard());
  app.use("*", readerQueue(ctx.config.httpReaders, ctx.config.httpReaderQueue));
  // Each is a full copy of the history: on request, a few an hour (the nightly jobs are not counted).
  const copies = new RateLimit(ctx.config.exportsPerHour, 3_600_000);
  const limited = (c: Context) => {
    const wait = copies.take();
    if (!wait) return null;
    c.header("retry-after", String(wait));
    return c.json({
      error: `at most ${ctx.config.exportsPerHour} snapshots and exports an hour; try again in ${wait} s`,
      code: "rate_limited",
    }, 429);
  };

  app.get("/health", (c) => c.json({ status: "ok" }));
  // Browsers ask for it on every page; without an answer they log a 404 in the console.
  app.get("/favicon.ico", (c) => c.body(null, 204));

  app.get("/ready", async (c) => {
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
      await read((r) => r.value("SELECT 1"));
    } catch (e) {
      problems.push(`database: ${(e as Error).message}`);
    }
    return c.json({ ready: problems.length === 0, problems }, problems.length ? 503 : 200);
  });

  app.get("/metrics", async (c) => {
    const mem = Deno.memoryUsage();
    const runs = await read((r) =>
      r.rows(
        `SELECT job, status, epoch(finished_at) AS finished FROM schedule_runs
         QUALIFY row_number() OVER (PARTITION BY job ORDER BY scheduled_for DESC) = 1`,
      )
    );
    type Gauge = { name: string; help: string; value: number; labels?: Record<string, string> };
    const gauges: Gauge[] = [
      {
        name: "lta_queue_depth",
        help: "Files seen in the inbox, not yet finished.",
        value: ctx.service.pending(),
      },
      { name: "lta_rss_bytes", help: "Resident set size.", value: mem.rss },
      { name: "lta_memory_budget_bytes", help: "The memory budget.", value: ctx.service.gate.budgetBytes },
      ...(["ok", "pressure", "critical"] as const).map((state) => ({
        name: "lta_memory_state",
        help: "1 for the memory gate's current state.",
        value: ctx.service.gate.state === state ? 1 : 0,
        labels: { state },
      })),
      {
        name: "lta_memory_over_budget_admissions",
        help: "Files let through over budget because nothing else could free memory.",
        value: ctx.service.gate.overBudgetAdmissions,
      },
      ...(["disk_full", "read_only"] as const).map((reason) => ({
        name: "lta_ingest_paused",
        help: "1 while claiming is paused for storage that cannot take writes.",
        value: ctx.service.pause.current?.code === reason ? 1 : 0,
        labels: { reason },
      })),
      ...Object.entries(ctx.service.retries.counts()).map(([code, n]) => ({
        name: "lta_files_waiting",
        help: "Files waiting out a backoff after a failure that was not the file's fault.",
        value: n,
        labels: { code },
      })),
      { name: "lta_heap_used_bytes", help: "V8 heap in use.", value: mem.heapUsed },
      {
        name: "lta_external_bytes",
        help: "Memory outside the V8 heap held by JS objects.",
        value: mem.external,
      },
      {
        name: "lta_uptime_seconds",
        help: "Seconds since start.",
        value: (Date.now() - ctx.service.startedAt) / 1000,
      },
      ...runs.flatMap((r): Gauge[] => [
        {
          name: "lta_job_last_ok",
          help: "1 if the job's last run succeeded.",
          value: r.status === "ok" ? 1 : 0,
          labels: { job: String(r.job), status: String(r.status) },
        },
        {
          name: "lta_job_last_finished_seconds",
          help: "When the job's last run finished (Unix time).",
          value: Number(r.finished ?? 0),
          labels: { job: String(r.job) },
        },
      ]),
    ];
    return c.body(ctx.metrics.render(gauges), 200, { "content-type": "text/plain; version=0.0.4" });
  });

  app.get("/api/files", async (c) => {
    const limit = num(c.req.query("limit"), 100, 1000);
    const status = c.req.query("status");
    const rows = await read((r) =>
      r.rows(
        `SELECT file_id, file_name, status, reason_code, system, model, serial, test_date, n_tracks, n_points,
                ingested_at FROM files WHERE ($1::VARCHAR IS NULL OR status = $1) ORDER BY file_id DESC LIMIT ${limit}`,
        [status ?? null],
      )
    );
    return c.json(rows);
  });

  app.get("/api/files/:id", async (c) => {
    const id = num(c.req.param("id"), -1, Number.MAX_SAFE_INTEGER);
    const body = await read(async (r) => {
      const [file] = await r.rows("SELECT * FROM files WHERE file_id = $1", [id]);
      if (!file) return null;
      const tracks = await r.rows("SELECT * FROM tracks WHERE file_id = $1 ORDER BY track_id", [id]);
      return { ...file, tracks };
    });
    return body ? c.json(body) : c.json({ error: `no file ${c.req.param("id")}` }, 404);
  });

  app.get("/api/tracks", async (c) => {
    const since = c.req.query("since");
    if (since && !isIsoDate(since)) {
      return c.json({ error: "since must be YYYY-MM-DD", code: "bad_request" }, 400);
    }
    const limit = num(c.req.query("limit"), 1000, 10_000);
    const rows = await read((r) =>
      r.rows(
        `SELECT file_id, file_name, model, serial, test_date, track_id, overall_status, status_reason, n_points,
                sigma_gradient, sigma_threshold, linearity_error, linearity_spec, fail_points, failure_probability,
                risk_category
         FROM v_tracks
         WHERE ($1::VARCHAR IS NULL OR model = $1) AND ($2::VARCHAR IS NULL OR test_date >= $2::TIMESTAMP)
           AND ($3::VARCHAR IS NULL OR overall_status = upper($3))
         ORDER BY test_date DESC, file_id DESC, track_id LIMIT ${limit}`,
        [c.req.query("model") ?? null, since ?? null, c.req.query("status") ?? null],
      )
    );
    return c.json(rows);
  });

  app.get("/api/models", async (c) =>
    c.json(
      await read((r) =>
        r.rows(
          `SELECT model, count(*) AS tracks, count(DISTINCT file_id) AS files,
                  avg((overall_status = 'PASS')::INTEGER) AS pass_rate, avg(sigma_pass::INTEGER) AS sigma_pass_rate,
                  count(*) FILTER (WHERE near_miss) AS near_misses, max(test_date) AS last_test
           FROM v_tracks GROUP BY model ORDER BY model`,
        )
      ),
    ));

  app.get("/api/files/:id/tracks/:track/chart.svg", async (c) => {
    const { trackChartData, trackChartSvg } = await import("../render/track_chart.ts");
    const id = num(c.req.param("id"), -1, Number.MAX_SAFE_INTEGER);
    const data = await read((r) => trackChartData(r, id, c.req.param("track")));
    if (!data) {
      return c.json({ error: `no analysed track ${c.req.param("track")} in file ${c.req.param("id")}` }, 404);
    }
    return c.body(await trackChartSvg(data), 200, { "content-type": "image/svg+xml" });
  });

  app.post("/api/query", async (c) => {
    let sql: unknown;
    try {
      sql = (await c.req.json()).sql;
    } catch {
      return c.json({ error: 'send a JSON body {"sql": "..."}' }, 400);
    }
    if (typeof sql !== "string" || !sql.trim()) {
      return c.json({ error: 'send a JSON body {"sql": "..."}' }, 400);
    }
    try {
      const result = await runReadOnlyQuery(ctx.db, sql, {
        maxRows: ctx.config.queryMaxRows,
        timeoutMs: ctx.config.queryTimeoutSeconds * 1000,
      });
      if ((c.req.header("accept") ?? "").includes("text/csv")) {
        return c.body(formatRows(result.columns, result.rows, "csv") + "\n", 200, {
          "content-type": "text/csv",
        });
      }
      return c.json({
        columns: result.columns,
        rows: result.rows.map((row) => Object.fromEntries(result.columns.map((col, i) => [col, row[i]]))),
        truncated: result.truncated,
      });
    } catch (e) {
      if (e instanceof QueryRejected) return c.json({ error: e.message }, 400);
      throw e;
    }
  });

  app.post("/api/snapshot", async (c) => limited(c) ?? c.json({ path: await ctx.snapshot() }));

  app.post("/api/export/parquet", async (c) => {
    const refused = limited(c);
    if (refused) return refused;
    const body = await c.req.json().catch(() => ({}));
    const since = typeof body?.since === "string" ? body.since : undefined;
    if (since !== undefined && !isIsoDate(since)) {
      return c.json({ error: `since must be YYYY-MM-DD, got "${since}"` }, 400);
    }
    return c.json(await ctx.exportParquet(since));
  });

  app.get("/reports/*", async (c) => {
    const root = resolve(ctx.config.reportsDir);
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
  });

  addCommandRoutes(app, ctx, limited);

  app.get("/", async (c) => c.html(await read((r) => livePage(r, ctx))));

  app.onError((e, c) => {
    if (e instanceof ActionError) {
      return c.json({ error: e.message, code: e.code }, e.code === "not_found" ? 404 : 400);
    }
    if (e instanceof DatabaseError) {
      if (DATABASE_STATUS[e.code] === 503) c.header("retry-after", "5");
      return c.json({ error: withoutPaths(e.message, ctx.db.path), code: e.code }, DATABASE_STATUS[e.code]);
    }
    if (e instanceof URIError) {
      return c.json({ error: "the address has bad percent-encoding", code: "bad_request" }, 400);
    }
    return c.json({ error: withoutPaths(e.message, ctx.db.path), code: "internal" }, 500);
  });
  return app;
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
