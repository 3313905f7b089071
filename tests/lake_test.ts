/**
 * Beyond one machine: several lta instances export Parquet into one lake, and one DuckDB query over it
 * sees every site's rows exactly once. Instances are real processes (`lta serve --once`, `lta export`) on
 * their own inboxes and databases; one exports through its running service.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { buildConfig, type Config } from "../src/config/config.ts";
import { Connection, Database } from "../src/db/database.ts";
import { runService } from "../src/service.ts";
import { findRunningService } from "../src/server/state_file.ts";
import { parquetExportCommand } from "../src/cli/history_commands.ts";
import { nightlyJobs, PARQUET_WATERMARK } from "../src/schedule/jobs.ts";
import { type ExportManifest, exportParquet, manifestPath } from "../src/export/parquet.ts";
import { pruneSupersededExports } from "../src/export/prune.ts";
import { generatedFixtures } from "./_helpers.ts";
import { openLake } from "../src/export/lake.ts";
import { capability, type CapabilityRow } from "../src/analyze/capability.ts";
import { ingestCommand } from "../src/cli/commands.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function instanceConfig(root: string, site: string, lake: string): Promise<Config> {
  const config = buildConfig({}, {}, {
    db: join(root, site, "data", "lta.duckdb"),
    inbox: join(root, site, "inbox"),
    quarantineDir: join(root, site, "quarantine"),
    reportsDir: join(root, site, "reports"),
    exportDir: lake,
    site,
    pollSeconds: 0.05,
    minAgeSeconds: 0,
    httpPort: 0,
    logFormat: "json",
    memoryBudgetMb: 4096,
  });
  await Deno.mkdir(config.inbox, { recursive: true });
  return config;
}

async function lta(args: string[], config: Config): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: {
      LTA_DB: config.db,
      LTA_INBOX: config.inbox,
      LTA_QUARANTINE_DIR: config.quarantineDir,
      LTA_REPORTS_DIR: config.reportsDir,
      LTA_EXPORT_DIR: config.exportDir,
      LTA_SITE: config.site,
      LTA_MIN_AGE_SECONDS: "0",
      LTA_LOG_FORMAT: "json",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`lta ${args.join(" ")} failed:\n${text}`);
  return text;
}

/** `SELECT` over the lake in a DuckDB of its own, as an analyst's notebook would. */
async function lakeRows(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(":memory:", { autoinstall_known_extensions: "false" });
  const conn = await instance.connect();
  try {
    return await new Connection(conn).rows(sql);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function dbRows(path: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = await Database.open(path, { readOnly: true });
  try {
    return await db.rows(sql);
  } finally {
    db.close();
  }
}

Deno.test("three instances on separate inboxes export to one lake; one query returns their union, no duplicates", async () => {
  const { dir, manifest } = await generatedFixtures();
  const loadable = manifest.filter((m) => !m.quarantine);
  const root = await Deno.makeTempDir({ prefix: "lta-lake-" });
  const lake = join(root, "lake");
  const sites = ["plant-a", "plant-b", "plant-c"];
  const configs = await Promise.all(sites.map((s) => instanceConfig(root, s, lake)));
  for (const [i, m] of loadable.entries()) {
    await Deno.copyFile(join(dir, m.file), join(configs[i % 3].inbox, m.file));
  }

  // Sites a and b: the service drains its inbox and exits, then the CLI exports from the database file.
  for (const config of configs.slice(0, 2)) {
    await lta(["serve", "--once"], config);
    await lta(["export", "parquet"], config);
  }
  // Site c: exported while its service runs, so through the service (DuckDB lets no other process in).
  const c = configs[2];
  let loaded = 0;
  let port = 0;
  const stop = new AbortController();
  const done = runService(c, {
    logger: { event: (name) => name === "file_loaded" && loaded++ },
    signal: stop.signal,
    onListening: (p) => (port = p),
  });
  const expectedC = loadable.filter((_, i) => i % 3 === 2).length;
  for (const end = Date.now() + 30_000; loaded < expectedC || port === 0;) {
    if (Date.now() > end) throw new Error(`site c loaded only ${loaded} of ${expectedC}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  let viaService: ExportManifest;
  try {
    ok(await findRunningService(c.db), "site c's service is found through its state file");
    viaService = await parquetExportCommand({}, c);
  } finally {
    stop.abort();
    await done;
  }
  equal(viaService.site, "plant-c");

  const exports = [...Deno.readDirSync(join(lake, "_manifests"))].map((e) => e.name.replace(/\.json$/, ""))
    .sort();
  equal(exports.length, 3, `one manifest per export: ${exports}`);
  ok(exports.every((e, i) => e.startsWith(sites[i])));
  deepEqual(
    [...Deno.readDirSync(lake)].map((e) => e.name).sort(),
    ["_manifests", "files", "final_test_points", "final_tests", "points", "tracks"],
    "one dataset per table, nothing left staged",
  );

  const tracks = `read_parquet('${lake}/tracks/**/*.parquet', hive_partitioning = true)`;
  const [union] = await lakeRows(
    `SELECT count(*)::INT AS n, count(DISTINCT (sha256, track_id))::INT AS distinct_keys FROM ${tracks}`,
  );
  let expected = 0;
  for (const config of configs) {
    const local = await dbRows(
      config.db,
      "SELECT f.sha256, t.track_id, f.model, t.overall_status FROM tracks t JOIN files f USING (file_id) ORDER BY 1, 2",
    );
    ok(local.length > 0, `${config.site} loaded tracks`);
    expected += local.length;
    // Every row of the site is in the lake once, with its model back from the partition path.
    const inLake = await lakeRows(
      `SELECT sha256, track_id, model, overall_status FROM ${tracks} WHERE site = '${config.site}' ORDER BY 1, 2`,
    );
    deepEqual(inLake, local, config.site);
  }
  deepEqual(union, { n: expected, distinct_keys: expected });
  equal(expected, loadable.filter((m) => !m.finalTest).reduce((n, m) => n + m.tracks!.length, 0));

  // Final tests and their points travel the same way; manifests count what the files hold.
  const [finals] = await lakeRows(
    `SELECT count(*)::INT AS n FROM read_parquet('${lake}/final_tests/**/*.parquet', hive_partitioning = true)`,
  );
  equal(finals.n, loadable.filter((m) => m.finalTest).length);
  for (const id of exports) {
    const m: ExportManifest = JSON.parse(await Deno.readTextFile(manifestPath(lake, id)));
    for (const [table, t] of Object.entries(m.tables)) {
      if (t.rows === 0) continue;
      const [counted] = await lakeRows(
        `SELECT count(*)::INT AS n FROM read_parquet([${
          t.files.map((f) => `'${join(lake, f.path)}'`).join(", ")
        }])`,
      );
      equal(counted.n, t.rows, `${id} ${table}`);
    }
  }
});

Deno.test("over the lake, lta's own views and analyses give what one instance holding every file gives", async () => {
  const { dir, manifest } = await generatedFixtures();
  const loadable = manifest.filter((m) => !m.quarantine);
  const root = await Deno.makeTempDir({ prefix: "lta-lake-central-" });
  const lake = join(root, "lake");
  // Trims at two line sites, final tests at the test station: matching has to cross sites.
  const sites = { "line-1": [] as string[], "line-2": [] as string[], "test-station": [] as string[] };
  loadable.forEach((m, i) =>
    (m.finalTest ? sites["test-station"] : i % 2 ? sites["line-1"] : sites["line-2"]).push(join(dir, m.file))
  );
  for (const [site, files] of Object.entries(sites)) {
    const config = await instanceConfig(root, site, lake);
    await ingestCommand(files, config);
    await parquetExportCommand({}, config);
  }
  const single = await instanceConfig(root, "single", join(root, "unused"));
  await ingestCommand(loadable.map((m) => join(dir, m.file)), single);

  const links = (q: { rows(sql: string): Promise<Record<string, unknown>[]> }) =>
    q.rows(
      `SELECT final_file_name, trim_file_name, match_method, outcome, days_since_trim FROM v_trim_vs_final
       ORDER BY final_file_name`,
    );
  // A second, full export of one site (as after a re-analysis) doubles its files in the lake, not its rows
  // in lta's view of the lake: each file's newest export wins.
  await parquetExportCommand({}, await instanceConfig(root, "line-1", lake));
  const central = await openLake(lake);
  const local = await Database.open(single.db, { readOnly: true });
  try {
    const [raw] = await central.rows(
      `SELECT count(*)::INT AS n FROM read_parquet('${lake}/tracks/**/*.parquet')`,
    );
    const [viewed] = await central.rows("SELECT count(*)::INT AS n FROM v_tracks");
    const [held] = await local.rows("SELECT count(*)::INT AS n FROM tracks");
    equal(viewed.n, held.n);
    ok(
      Number(raw.n) > Number(viewed.n),
      `the re-export is in the lake (${raw.n} rows) but counted once (${viewed.n})`,
    );
    const centralLinks = await links(central);
    deepEqual(centralLinks, await links(local));
    ok(
      centralLinks.filter((l) => l.trim_file_name).length >= 4,
      "final tests linked to trims of other sites",
    );
    const order = (rows: CapabilityRow[]) =>
      rows.map((r) => ({
        model: r.model,
        metric: r.metric,
        n: r.n,
        ppk: r.ppk?.toFixed(9),
        mean: r.mean?.toFixed(12),
      }));
    const centralCapability = await capability(central, { minN: 2 });
    ok(centralCapability.length > 0);
    deepEqual(order(centralCapability), order(await capability(local, { minN: 2 })));
  } finally {
    central.close();
    local.close();
  }
});

Deno.test("the nightly Parquet export writes only what was loaded since the previous one", async () => {
  const { dir, manifest } = await generatedFixtures();
  const trims = manifest.filter((m) => m.system);
  const root = await Deno.makeTempDir({ prefix: "lta-lake-nightly-" });
  const lake = join(root, "lake");
  const config = { ...await instanceConfig(root, "plant-n", lake), parquetNightly: true };
  const job = nightlyJobs(config).find((j) => j.name === "parquet_export");
  ok(job, "the job is on the nightly list when parquetNightly is set");
  equal(
    nightlyJobs({ ...config, parquetNightly: false }).find((j) => j.name === "parquet_export"),
    undefined,
  );
  const half = Math.floor(trims.length / 2);
  const run = async () => {
    const db = await Database.open(config.db);
    try {
      await job.run({ db, scheduledFor: new Date(), logger: { event() {} } });
      return await db.value("SELECT value FROM lta_meta WHERE key = $1", [PARQUET_WATERMARK]);
    } finally {
      db.close();
    }
  };
  await ingestCommand(trims.slice(0, half).map((m) => join(dir, m.file)), config);
  const first = await run();
  ok(first !== null, "the watermark is recorded");
  await ingestCommand(trims.slice(half).map((m) => join(dir, m.file)), config);
  const second = await run();
  ok(String(second) > String(first), "the watermark moves on");

  const ids = [...Deno.readDirSync(join(lake, "_manifests"))].map((e) => e.name.replace(/\.json$/, ""))
    .sort();
  equal(ids.length, 2);
  const files = (id: string) =>
    lakeRows(`SELECT DISTINCT file_name FROM read_parquet('${lake}/files/**/${id}.parquet') ORDER BY 1`);
  deepEqual(
    (await files(ids[0])).map((r) => r.file_name),
    trims.slice(0, half).map((m) => m.file).sort(),
  );
  deepEqual((await files(ids[1])).map((r) => r.file_name), trims.slice(half).map((m) => m.file).sort());
  const [all] = await lakeRows(
    `SELECT count(*)::INT AS n, count(DISTINCT (sha256, track_id))::INT AS k
     FROM read_parquet('${lake}/tracks/**/*.parquet', hive_partitioning = true)`,
  );
  equal(all.n, all.k);
  equal(all.n, trims.reduce((n, m) => n + m.tracks!.length, 0));
});

Deno.test("exports the lake no longer reads are deleted once older than exportKeepDays; the rest stay", async () => {
  const { dir, manifest } = await generatedFixtures();
  const trims = manifest.filter((m) => m.system);
  const root = await Deno.makeTempDir({ prefix: "lta-lake-prune-" });
  const lake = join(root, "lake");
  const config = await instanceConfig(root, "plant-p", lake);
  const half = Math.floor(trims.length / 2);
  const options = { outDir: lake, site: config.site, keepDays: 30 };
  await ingestCommand(trims.slice(0, half).map((m) => join(dir, m.file)), config);
  const first = await exportParquet(config.db, options);
  await ingestCommand(trims.slice(half).map((m) => join(dir, m.file)), config);
  const second = await exportParquet(config.db, { ...options, after: first.loadedUntil! });
  const later = Date.now() + 40 * 86_400_000;
  const union = () => lakeRows(`SELECT count(*)::INT AS n FROM read_parquet('${lake}/tracks/**/*.parquet')`);
  const manifests = () => [...Deno.readDirSync(join(lake, "_manifests"))].map((e) => e.name).sort();

  deepEqual(await pruneSupersededExports(lake, config.site, 30, later), [], "old, but each is still read");
  const full = await exportParquet(config.db, options);
  deepEqual(full.pruned, [], "superseded, but not yet 30 days old");
  deepEqual(await pruneSupersededExports(lake, config.site, 0, later), [], "0 keeps every export");
  const lakeBefore = await openLake(lake);
  const before = await lakeBefore.rows(
    "SELECT file_id, track_id, sigma_gradient FROM v_tracks ORDER BY 1, 2",
  );
  lakeBefore.close();

  const pruned = await pruneSupersededExports(lake, config.site, 30, later);
  deepEqual(pruned.sort(), [first.exportId, second.exportId].sort());
  deepEqual(manifests(), [`${full.exportId}.json`]);
  equal((await union())[0].n, trims.reduce((n, m) => n + m.tracks!.length, 0), "no file left twice");
  const lakeAfter = await openLake(lake);
  deepEqual(
    await lakeAfter.rows("SELECT file_id, track_id, sigma_gradient FROM v_tracks ORDER BY 1, 2"),
    before,
  );
  lakeAfter.close();
  await Deno.remove(root, { recursive: true });
});
