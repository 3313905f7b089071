/** The HTTP API and live page of `lta serve`, over real HTTP on 127.0.0.1 and in real headless Chromium. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { buildConfig, type Config, ConfigError } from "../src/config/config.ts";
import { Database } from "../src/db/database.ts";
import { runService } from "../src/service.ts";
import { CHROMIUM } from "./_chromium.ts";
import { generatedFixtures } from "./_helpers.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

interface Running {
  config: Config;
  base: string;
  stop(): Promise<void>;
}

/** Starts the service in-process on a free port with the fixture files loaded. */
async function serving(overrides: Partial<Config> = {}, count = 6): Promise<Running> {
  const { dir, manifest } = await generatedFixtures();
  const root = await Deno.makeTempDir({ prefix: "lta-http-" });
  const config = buildConfig({}, {}, {
    db: join(root, "data", "lta.duckdb"),
    inbox: join(root, "inbox"),
    quarantineDir: join(root, "quarantine"),
    reportsDir: join(root, "reports"),
    pollSeconds: 0.05,
    minAgeSeconds: 0,
    httpPort: 0,
    logFormat: "json",
    // The service shares this test process (Chromium driver, SheetJS, Vega…): budget for all of it.
    memoryBudgetMb: 4096,
    ...overrides,
  });
  await Deno.mkdir(config.inbox, { recursive: true });
  const files = manifest.filter((m) => m.system).slice(0, count);
  for (const m of files) await Deno.copyFile(join(dir, m.file), join(config.inbox, m.file));
  await Deno.copyFile(
    join(dir, manifest.find((m) => m.quarantine === "unknown_layout")!.file),
    join(config.inbox, "layoutless.xls"),
  );
  let loaded = 0;
  let port = 0;
  const stop = new AbortController();
  const done = runService(config, {
    logger: { event: (name) => (name === "file_loaded" || name === "file_quarantined") && loaded++ },
    signal: stop.signal,
    onListening: (p) => (port = p),
  });
  const end = Date.now() + 20_000;
  while (loaded < files.length + 1 || port === 0) {
    if (Date.now() > end) throw new Error(`only ${loaded} files processed`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    config,
    base: `http://127.0.0.1:${port}`,
    stop: async () => {
      stop.abort();
      await done;
    },
  };
}

async function get(url: string, init?: RequestInit) {
  const res = await fetch(url, init);
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    text,
    json: () => JSON.parse(text),
  };
}

const JSON_HEADERS = { "content-type": "application/json" };

const query = (base: string, sql: string, init: RequestInit = {}) =>
  get(`${base}/api/query`, {
    method: "POST",
    body: JSON.stringify({ sql }),
    ...init,
    headers: { ...JSON_HEADERS, ...init.headers },
  });

Deno.test("every endpoint answers over real HTTP with committed data", async () => {
  const s = await serving();
  try {
    deepEqual((await get(`${s.base}/health`)).json(), { status: "ok" });
    deepEqual((await get(`${s.base}/ready`)).json(), { ready: true, problems: [] });

    const metrics = await get(`${s.base}/metrics`);
    ok(metrics.type.startsWith("text/plain"));
    ok(/lta_files_total\{outcome="loaded",reason=""\} 6/.test(metrics.text), metrics.text);
    ok(/lta_files_total\{outcome="quarantined",reason="unknown_layout"\} 1/.test(metrics.text));
    ok(/lta_ingest_seconds_count 7/.test(metrics.text));
    ok(/lta_rss_bytes \d+/.test(metrics.text) && /lta_queue_depth 0/.test(metrics.text));

    const files = (await get(`${s.base}/api/files`)).json();
    equal(files.length, 7);
    equal(files.filter((f: { status: string }) => f.status === "quarantined").length, 1);
    const one = files.find((f: { status: string; n_tracks: number }) =>
      f.status === "loaded" && f.n_tracks === 2
    );
    const detail = (await get(`${s.base}/api/files/${one.file_id}`)).json();
    deepEqual(detail.tracks.map((t: { track_id: string }) => t.track_id), ["TRK1", "TRK2"]);
    equal((await get(`${s.base}/api/files/99999`)).status, 404);

    const tracks = (await get(`${s.base}/api/tracks?model=7063-A&since=2024-01-01`)).json();
    ok(tracks.length >= 2 && tracks.every((t: { model: string }) => t.model === "7063-A"));
    const failing = (await get(`${s.base}/api/tracks?status=fail`)).json();
    ok(failing.length >= 1 && failing.every((t: { overall_status: string }) => t.overall_status === "FAIL"));
    equal((await get(`${s.base}/api/tracks?since=yesterday`)).status, 400);

    const models = (await get(`${s.base}/api/models`)).json();
    ok(models.some((m: { model: string; tracks: number }) => m.model === "7063-A" && m.tracks === 4));

    const chart = await get(`${s.base}/api/files/${one.file_id}/tracks/TRK2/chart.svg`);
    deepEqual([chart.status, chart.type], [200, "image/svg+xml"]);
    ok(chart.text.startsWith("<svg"));
    equal((await get(`${s.base}/api/files/${one.file_id}/tracks/TRK9/chart.svg`)).status, 404);

    const json = (await query(s.base, "SELECT count(*) AS n, max(file_id) AS m FROM files")).json();
    deepEqual(json, { columns: ["n", "m"], rows: [{ n: 7, m: 7 }], truncated: false });
    const csv = await query(s.base, "SELECT 1 AS a, 'x,y' AS b", { headers: { accept: "text/csv" } });
    equal(csv.text, 'a,b\n1,"x,y"\n');

    const page = await get(`${s.base}/live`);
    ok(page.type.startsWith("text/html") && page.text.includes("chart.svg"));

    const snap = (await get(`${s.base}/api/snapshot`, { method: "POST", headers: JSON_HEADERS })).json();
    const copy = await Database.open(snap.path, { readOnly: true });
    try {
      equal(Number(await copy.value("SELECT count(*) FROM files")), 7);
    } finally {
      copy.close();
    }
  } finally {
    await s.stop();
  }
});

Deno.test("writes, DDL and file access are refused by /api/query, however they are dressed", async () => {
  const s = await serving({}, 1);
  const attempts = [
    "INSERT INTO files (file_id) VALUES (999)",
    "UPDATE files SET model = 'x'",
    "DELETE FROM points",
    "DROP TABLE points",
    "CREATE TABLE evil (x INT)",
    "ALTER TABLE files ADD COLUMN y INT",
    "TRUNCATE tracks",
    "WITH x AS (SELECT 1) INSERT INTO model_thresholds VALUES ('m', 1, NULL, now())",
    "SELECT 1; DELETE FROM files",
    "SELECT 1; SELECT 2",
    "COPY files TO '/tmp/lta-leak.csv'",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_parquet('/tmp/*.parquet')",
    "SELECT * FROM glob('/*')",
    "WITH f AS (SELECT * FROM read_csv_auto('/etc/passwd')) SELECT * FROM f",
    "ATTACH '/tmp/lta-other.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "PRAGMA enable_profiling",
    "SET enable_external_access = true",
    "CALL checkpoint()",
    "CHECKPOINT",
    "SELECT nextval('file_id_seq')",
    "EXPORT DATABASE '/tmp/lta-export'",
    "VACUUM",
    "BEGIN TRANSACTION",
  ];
  try {
    for (const sql of attempts) {
      const r = await query(s.base, sql);
      equal(r.status, 400, `${sql} → ${r.status} ${r.text}`);
      ok(typeof r.json().error === "string" && r.json().error.length > 0, sql);
    }
    equal(attempts.length >= 20, true);
    const check = (await query(s.base, "SELECT count(*) AS n FROM files")).json();
    deepEqual(check.rows, [{ n: 2 }], "nothing changed");
    for (const p of ["/tmp/lta-leak.csv", "/tmp/lta-export"]) {
      equal(await Deno.stat(p).then(() => true, () => false), false, `${p} was not written`);
    }
    equal(
      (await get(`${s.base}/api/query`, { method: "POST", body: "not json", headers: JSON_HEADERS })).status,
      400,
    );
  } finally {
    await s.stop();
  }
});

Deno.test("query results are capped at queryMaxRows and stopped after queryTimeoutSeconds", async () => {
  const s = await serving({ queryMaxRows: 5, queryTimeoutSeconds: 0.3 }, 1);
  try {
    const capped = (await query(s.base, "SELECT range AS i FROM range(100)")).json();
    deepEqual([capped.rows.length, capped.truncated], [5, true]);
    const started = performance.now();
    const slow = await query(s.base, "SELECT sum(a.range * b.range) FROM range(100000) a, range(100000) b");
    equal(slow.status, 400);
    ok(slow.json().error.includes("longer than 300 ms"), slow.text);
    ok(performance.now() - started < 10_000, "stopped promptly");
  } finally {
    await s.stop();
  }
});

Deno.test("lta query goes through the running service, which holds the database file", async () => {
  const s = await serving({}, 2);
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        MAIN,
        "query",
        "--db",
        s.config.db,
        "--format",
        "json",
        "SELECT count(*) AS n FROM files",
      ],
      env: { NO_COLOR: "1" },
    }).output();
    equal(out.code, 0, new TextDecoder().decode(out.stderr));
    deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), [{ n: 3 }]);
    const refused = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", MAIN, "query", "--db", s.config.db, "DELETE FROM files"],
      env: { NO_COLOR: "1" },
    }).output();
    ok(refused.code !== 0 && new TextDecoder().decode(refused.stderr).includes("only reading statements"));
  } finally {
    await s.stop();
  }
  equal(
    await Deno.stat(`${s.config.db}.service.json`).then(() => true, () => false),
    false,
    "state file removed",
  );
});

Deno.test("a bearer token guards every route but /health, and binding beyond loopback requires one", async () => {
  let error: unknown = null;
  try {
    buildConfig({}, {}, { httpHost: "0.0.0.0" });
  } catch (e) {
    error = e;
  }
  ok(error instanceof ConfigError && error.message.includes("httpToken"));
  const s = await serving({ httpToken: "s3cret" }, 1);
  try {
    equal((await get(`${s.base}/health`)).status, 200);
    equal((await get(`${s.base}/api/files`)).status, 401);
    equal((await get(`${s.base}/api/files`, { headers: { authorization: "Bearer s3cret" } })).status, 200);
  } finally {
    await s.stop();
  }
});

Deno.test("the live page opens in headless Chromium without console errors, and a click leads to a chart", async () => {
  const s = await serving({}, 3);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
  });
  try {
    const page = await browser.newPage();
    const messages: string[] = [];
    page.on("console", (m) => messages.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => messages.push(`error: ${e.message}`));
    await page.goto(`${s.base}/live`);
    ok((await page.textContent("h1"))!.includes("lta"));
    await page.click("a.chart >> nth=0");
    await page.waitForURL(/\/chart\.svg$/);
    ok(await page.locator("svg").count() >= 1, "the chart is an SVG document");
    deepEqual(messages, []);
  } finally {
    await browser.close();
    await s.stop();
  }
});
