/**
 * The HTTP surface against a hostile page or client: host names, cross-site writes, body sizes, what a
 * query may call, paths in answers, bad parameters, page headers, loopback, and the copies' rate limit.
 */
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { join } from "node:path";
import { buildConfig, type Config, ConfigError } from "../src/config/config.ts";
import { withoutPaths } from "../src/db/query_guard.ts";
import { runService } from "../src/service.ts";
import { isLoopback } from "../src/config/addresses.ts";
import "./_helpers.ts";

/** The service in-process on a free port, with an empty inbox; `stop()` ends it. */
async function serving(overrides: Partial<Config> = {}) {
  const root = await Deno.makeTempDir({ prefix: "lta-guard-" });
  const config = buildConfig({}, {}, {
    db: join(root, "data", "lta.duckdb"),
    inbox: join(root, "inbox"),
    quarantineDir: join(root, "quarantine"),
    reportsDir: join(root, "reports"),
    exportDir: join(root, "exports"),
    httpPort: 0,
    memoryBudgetMb: 4096,
    ...overrides,
  });
  let port = 0;
  const stop = new AbortController();
  const done = runService(config, {
    logger: { event() {} },
    signal: stop.signal,
    onListening: (p) => (port = p),
  });
  while (port === 0) await new Promise((r) => setTimeout(r, 20));
  return {
    config,
    root,
    port,
    base: `http://127.0.0.1:${port}`,
    stop: async () => (stop.abort(), await done),
  };
}

/** One HTTP/1.1 request written by hand, so `Host` can be anything; the status and the body. */
async function raw(port: number, head: string, body = ""): Promise<{ status: number; text: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const bytes = new TextEncoder().encode(body);
  await conn.write(
    new TextEncoder().encode(
      `${head}\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n${body}`,
    ),
  );
  let text = "";
  const buf = new Uint8Array(65_536);
  for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  return { status: Number(text.split(" ")[1]), text };
}

const JSON_HEADERS = { "content-type": "application/json" };
const post = (url: string, body: unknown, headers: Record<string, string> = JSON_HEADERS) =>
  fetch(url, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });

Deno.test("only IP addresses, localhost and configured host names reach the service", async () => {
  const s = await serving({ httpAllowedHosts: ["lta.plant.local"] });
  try {
    const status = async (host: string) =>
      (await raw(s.port, `GET /api/models HTTP/1.1\r\nHost: ${host}`)).status;
    equal(await status("evil.example.com"), 403, "a rebinding attacker's name");
    equal(await status("127.0.0.1.evil.example"), 403);
    equal(await status(`127.0.0.1:${s.port}`), 200);
    equal(await status(`localhost:${s.port}`), 200);
    equal(await status(`[::1]:${s.port}`), 200);
    equal(await status("LTA.plant.local"), 200, "a configured name, any case");
    const refused = await raw(s.port, "GET /api/models HTTP/1.1\r\nHost: evil.example.com");
    ok(refused.text.includes("host_not_allowed") && refused.text.includes("httpAllowedHosts"), refused.text);
  } finally {
    await s.stop();
  }
});

Deno.test("writes must be JSON from no other site, and bodies over 64 KB are refused", async () => {
  const s = await serving();
  try {
    const sql = { sql: "SELECT 1 AS one" };
    equal((await post(`${s.base}/api/query`, sql)).status, 200, "the CLI's own request");
    const plain = await post(`${s.base}/api/query`, sql, { "content-type": "text/plain" });
    deepEqual([plain.status, (await plain.json()).code], [415, "not_json"]);
    const form = await post(`${s.base}/api/snapshot`, "a=1", {
      "content-type": "application/x-www-form-urlencoded",
    });
    equal(form.status, 415, "a form post");
    await form.body?.cancel();
    const foreign = await post(`${s.base}/api/query`, sql, {
      ...JSON_HEADERS,
      origin: "http://evil.example",
    });
    deepEqual([foreign.status, (await foreign.json()).code], [403, "cross_site"]);
    const crossSite = await post(`${s.base}/api/alarms/1/ack`, { cause: "x" }, {
      ...JSON_HEADERS,
      "sec-fetch-site": "cross-site",
    });
    equal(crossSite.status, 403);
    await crossSite.body?.cancel();
    const sameOrigin = await post(`${s.base}/api/query`, sql, {
      ...JSON_HEADERS,
      origin: s.base,
      "sec-fetch-site": "same-origin",
    });
    equal(sameOrigin.status, 200);
    await sameOrigin.body?.cancel();
    const big = await post(`${s.base}/api/query`, { sql: `SELECT '${"x".repeat(100_000)}'` });
    deepEqual([big.status, (await big.json()).code], [413, "body_too_large"]);
  } finally {
    await s.stop();
  }
});

Deno.test("queries may not checkpoint, read or list files, run other SQL or show settings", async () => {
  const s = await serving();
  try {
    const db = s.config.db;
    const probes = [
      "SELECT * FROM checkpoint()",
      "SELECT * FROM force_checkpoint()",
      `SELECT * FROM read_blob('${db}')`,
      `SELECT content FROM read_text('${db}.wal')`,
      `SELECT * FROM glob('${s.root}/*')`,
      "SELECT * FROM query('CHECKPOINT')",
      "SELECT current_setting('temp_directory')",
      "SELECT path FROM duckdb_databases()",
      "SELECT * FROM duckdb_settings()",
      `SELECT * FROM '${db}'`,
      "SELECT 1 WHERE 1 IN (SELECT 1 FROM read_csv('/etc/passwd'))",
      "EXPLAIN ANALYZE SELECT * FROM checkpoint()",
      "WITH x AS (SELECT * FROM glob('/tmp/*')) SELECT * FROM x",
    ];
    for (const sql of probes) {
      const res = await post(`${s.base}/api/query`, { sql });
      const text = await res.text();
      equal(res.status, 400, `${sql} → ${res.status} ${text}`);
      ok(!text.includes(s.root), `${sql} answered with a path: ${text}`);
    }
    for (
      const sql of [
        "SELECT count(*) AS n FROM range(10)",
        "SELECT count(*) AS n FROM trim_vs_final_in(DATE '2026-11-01', NULL)",
        "DESCRIBE files",
        "SHOW TABLES",
        "EXPLAIN SELECT 1",
      ]
    ) {
      equal((await post(`${s.base}/api/query`, { sql })).status, 200, sql);
    }
    const failing = await (await post(`${s.base}/api/query`, { sql: "SELECT * FROM no_such_table" })).text();
    ok(!failing.includes(s.root) && !failing.includes(Deno.cwd()), failing);
  } finally {
    await s.stop();
  }
});

Deno.test("withoutPaths() replaces the database, its folders and the home folder in a message", () => {
  const home = Deno.env.get("HOME") ?? "/root";
  const message = withoutPaths(
    `IO Error: Cannot open "/plant/data/lta.duckdb.tmp/x" nor "/plant/data/lta.duckdb" in /plant/data; see ${home}/x`,
    "/plant/data/lta.duckdb",
  );
  equal(message, 'IO Error: Cannot open "<temp folder>/x" nor "<database>" in <database folder>; see ~/x');
});

Deno.test("bad parameters and bad percent-encoding answer 400, never 500", async () => {
  const s = await serving();
  try {
    for (
      const path of [
        "/api/tracks?since=2024-13-45",
        "/api/tracks?since=yesterday",
        "/api/capability?since=2024-02-30",
        "/reports/%E0%A4%A",
      ]
    ) {
      const res = await fetch(`${s.base}${path}`);
      const body = await res.json();
      deepEqual([res.status, body.code], [400, "bad_request"], path);
    }
    const badDate = await post(`${s.base}/api/export/parquet`, { since: "2024-99-01" });
    equal(badDate.status, 400);
    await badDate.body?.cancel();
    const badJson = await post(`${s.base}/api/spc`, "{not json");
    equal(badJson.status, 400);
    await badJson.body?.cancel();
  } finally {
    await s.stop();
  }
});

Deno.test("pages come with headers that keep them out of other sites' frames", async () => {
  const s = await serving();
  try {
    const res = await fetch(`${s.base}/`);
    await res.body?.cancel();
    equal(res.headers.get("x-frame-options"), "DENY");
    equal(res.headers.get("x-content-type-options"), "nosniff");
    ok(/frame-ancestors 'none'/.test(res.headers.get("content-security-policy") ?? ""));
  } finally {
    await s.stop();
  }
});

Deno.test("loopback is 127.0.0.0/8, ::1 and localhost, parsed; any other bind address needs a token", () => {
  for (const host of ["127.0.0.1", "127.3.4.5", "::1", "[::1]", "localhost", "0:0:0:0:0:0:0:1"]) {
    ok(isLoopback(host), host);
  }
  for (const host of ["127.attacker.example", "127.0.0.1.nip.io", "0.0.0.0", "10.0.0.1", "::", "128.0.0.1"]) {
    ok(!isLoopback(host), host);
  }
  throws(() => buildConfig({}, {}, { httpHost: "127.attacker.example" }), ConfigError);
  equal(buildConfig({}, {}, { httpHost: "127.0.0.2" }).httpHost, "127.0.0.2");
});

Deno.test("snapshots and exports on request are limited per hour, with Retry-After", async () => {
  const s = await serving({ exportsPerHour: 2 });
  try {
    for (let i = 0; i < 2; i++) {
      const ok200 = await post(`${s.base}/api/snapshot`, {});
      equal(ok200.status, 200);
      await ok200.body?.cancel();
    }
    const third = await post(`${s.base}/api/export/parquet`, {});
    equal(third.status, 429);
    ok(Number(third.headers.get("retry-after")) > 0);
    equal((await third.json()).code, "rate_limited");
  } finally {
    await s.stop();
  }
});
