/**
 * The JSON API's reading routes and the requests for copies (snapshot, Parquet export). They translate
 * HTTP to the reads in `src/db/history_reads.ts` and the guarded query, nothing more.
 */
import type { Context, Hono } from "hono";
import type { Connection } from "../db/database.ts";
import { fileWithTracks, listFiles, listTracks, modelSummaries } from "../db/history_reads.ts";
import { QueryRejected, runReadOnlyQuery } from "../db/readonly_query.ts";
import { formatRows } from "../db/values.ts";
import { isIsoDate } from "./command_routes.ts";
import type { ServerContext } from "./context.ts";

/** A whole number from a query parameter, within [0, max]; `fallback` when absent or not a number. */
const num = (v: string | undefined, fallback: number, max: number) => {
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.min(Math.floor(n), max) : fallback;
};

type Read = <T>(work: (c: Connection) => Promise<T>) => Promise<T>;

/** Adds the API routes; `limited` answers 429 once copies on request pass `exportsPerHour`. */
export function addApiRoutes(
  app: Hono,
  ctx: ServerContext,
  read: Read,
  limited: (c: Context) => Response | null,
): void {
  addHistoryReads(app, read);
  app.post("/api/query", (c) => guardedQuery(c, ctx));
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
}

/** Files, tracks, models and a track's chart. */
function addHistoryReads(app: Hono, read: Read): void {
  app.get("/api/files", async (c) => {
    const limit = num(c.req.query("limit"), 100, 1000);
    const status = c.req.query("status");
    return c.json(await read((r) => listFiles(r, status ?? null, limit)));
  });
  app.get("/api/files/:id", async (c) => {
    const id = num(c.req.param("id"), -1, Number.MAX_SAFE_INTEGER);
    const body = await read((r) => fileWithTracks(r, id));
    return body ? c.json(body) : c.json({ error: `no file ${c.req.param("id")}` }, 404);
  });
  app.get("/api/tracks", async (c) => {
    const since = c.req.query("since");
    if (since && !isIsoDate(since)) {
      return c.json({ error: "since must be YYYY-MM-DD", code: "bad_request" }, 400);
    }
    const filter = {
      model: c.req.query("model") ?? null,
      since: since ?? null,
      status: c.req.query("status") ?? null,
      limit: num(c.req.query("limit"), 1000, 10_000),
    };
    return c.json(await read((r) => listTracks(r, filter)));
  });
  app.get("/api/models", async (c) => c.json(await read((r) => modelSummaries(r))));
  app.get("/api/files/:id/tracks/:track/chart.svg", async (c) => {
    const { trackChartData, trackChartSvg } = await import("../render/track_chart.ts");
    const id = num(c.req.param("id"), -1, Number.MAX_SAFE_INTEGER);
    const data = await read((r) => trackChartData(r, id, c.req.param("track")));
    if (!data) {
      return c.json({ error: `no analysed track ${c.req.param("track")} in file ${c.req.param("id")}` }, 404);
    }
    return c.body(await trackChartSvg(data), 200, { "content-type": "image/svg+xml" });
  });
}

/** `POST /api/query`: one reading statement, as JSON rows or CSV; 400 for anything the guard refuses. */
async function guardedQuery(c: Context, ctx: ServerContext): Promise<Response> {
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
}
