/** The `lta` command line run as a real subprocess, as users and scripts run it. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { generatedFixtures, workspace } from "./_helpers.ts";
import { Database } from "../src/db/database.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function lta(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** `lta query --format json`, parsed; fails the test when the command fails. */
async function queryJson(db: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const r = await lta(["query", "--db", db, "--format", "json", sql]);
  equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

Deno.test("lta ingest prints a one-line summary and exits 0 even when a file is quarantined", async () => {
  const { dir, manifest } = await generatedFixtures();
  const good = manifest.find((m) => m.system === "B")!;
  const bad = manifest.find((m) => m.quarantine === "unknown_layout")!;
  const { inbox, config } = await workspace([join(dir, good.file), join(dir, bad.file)]);
  const r = await lta(["ingest", inbox, "--db", config.db, "--quarantine-dir", config.quarantineDir]);
  equal(r.code, 0, r.stderr);
  ok(/^1 loaded, 0 duplicate, 1 quarantined, \d+ rows, [\d.]+ s$/m.test(r.stderr), r.stderr);
  ok(r.stderr.includes(`quarantined [unknown_layout] ${bad.file}`), r.stderr);

  deepEqual(
    await queryJson(config.db, "SELECT file_id, model, n_points FROM files WHERE status = 'loaded'"),
    [{ file_id: 1, model: good.model, n_points: good.tracks![0].nPoints * 2 }],
  );

  const csv = await lta([
    "query",
    "--db",
    config.db,
    "--format",
    "csv",
    "SELECT track_id, overall_status FROM v_tracks",
  ]);
  equal(csv.stdout.trim(), "track_id,overall_status\nTRK1,PASS");

  const table = await lta(["query", "--db", config.db, "SELECT count(*) AS n FROM points"]);
  ok(/^n\s*\n-+\n\d+\n\(1 row\)$/m.test(table.stdout.trim()), table.stdout);
});

Deno.test("lta analyze re-analyses one model with the legacy search and records it", async () => {
  const { dir, manifest } = await generatedFixtures();
  const files = manifest.filter((m) => m.system === "A" && !m.quarantine).slice(0, 3);
  const { inbox, config } = await workspace(files.map((m) => join(dir, m.file)));
  equal((await lta(["ingest", inbox, "--db", config.db])).code, 0);
  const r = await lta([
    "analyze",
    "--db",
    config.db,
    "--model",
    files[0].model!,
    "--offset-search",
    "legacy",
  ]);
  equal(r.code, 0, r.stderr);
  ok(/^\d+ tracks analysed \(.*\) in [\d.]+ s$/m.test(r.stderr), r.stderr);
  const rows = await queryJson(config.db, "SELECT DISTINCT model, offset_search FROM v_tracks ORDER BY ALL");
  ok(rows.some((x) => x.model === files[0].model && x.offset_search === "legacy"), JSON.stringify(rows));
  ok(rows.some((x) => x.model !== files[0].model && x.offset_search === "exact"), JSON.stringify(rows));
});

Deno.test("lta rejects bad arguments and bad settings with a message that names them, and a non-zero exit", async () => {
  const { config } = await workspace();
  const since = await lta(["analyze", "--db", config.db, "--since", "yesterday"]);
  ok(since.code !== 0 && since.stderr.includes("expected a date as YYYY-MM-DD"), since.stderr);
  const env = await lta(["analyze", "--db", config.db], { LTA_OFFSET_SEARCH: "fastest" });
  ok(
    env.code !== 0 &&
      env.stderr.includes("offsetSearch (from environment LTA_OFFSET_SEARCH) must be one of exact, legacy"),
    env.stderr,
  );
  const missing = await lta(["query", "--db", config.db, "SELECT 1"]);
  ok(missing.code !== 0 && missing.stderr.includes(`no database at ${config.db}`), missing.stderr);
  equal((await lta(["analyze", "--db", config.db])).code, 0, "creates an empty database");
  const sql = await lta(["query", "--db", config.db, "SELEC nothing"]);
  ok(sql.code !== 0 && /syntax error/i.test(sql.stderr), sql.stderr);
  // config check prints the settings without their secrets.
  const settings = join(config.inbox, "..", "lta.json");
  await Deno.writeTextFile(
    settings,
    JSON.stringify({
      httpToken: "tok-3141",
      notifyChannels: [
        { name: "m", type: "smtp", host: "mail.plant.local", from: "a@b", to: ["c@d"], password: "pw-2718" },
        { name: "t", type: "webhook", format: "teams", url: "https://example.invalid/hook/key-1618" },
      ],
    }),
  );
  const check = await lta(["config", "check", "--config", settings]);
  equal(check.code, 0, check.stderr);
  for (const secret of ["tok-3141", "pw-2718", "key-1618"]) ok(!check.stdout.includes(secret), secret);
  ok(check.stdout.includes("(set, not shown)") && check.stdout.includes("https://example.invalid/"));
  const help = await lta(["--help"]);
  equal(help.code, 0);
  for (const cmd of ["serve", "ingest", "query", "analyze", "reprocess"]) ok(help.stdout.includes(cmd), cmd);
});

Deno.test("lta serve on a taken port names the port and how to choose another, and creates nothing", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const root = await Deno.makeTempDir({ prefix: "lta-port-" });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const r = await lta([
      "serve",
      "--port",
      String(port),
      "--inbox",
      join(root, "inbox"),
      "--db",
      join(root, "data", "lta.duckdb"),
    ]);
    equal(r.code, 1, r.stderr);
    ok(r.stderr.includes(`port ${port} on 127.0.0.1 is already in use`), r.stderr);
    ok(r.stderr.includes("--port") && r.stderr.includes("LTA_HTTP_PORT"), r.stderr);
    ok(!r.stderr.includes("stopped"), r.stderr);
    deepEqual([...Deno.readDirSync(root)], [], "nothing created");
  } finally {
    taken.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("lta ingest of a path that does not exist says so in one line", async () => {
  const root = await Deno.makeTempDir({ prefix: "lta-missing-" });
  try {
    const r = await lta(["ingest", join(root, "nope"), "--db", join(root, "lta.duckdb")]);
    equal(r.code, 1);
    equal(r.stderr.trim(), `lta: ${join(root, "nope")}: no such file or folder`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("lta query's table shows fractions to 6 significant digits, json and csv keep the raw value", async () => {
  const root = await Deno.makeTempDir({ prefix: "lta-floats-" });
  try {
    const db = join(root, "lta.duckdb");
    (await Database.open(db)).close();
    const sql = "SELECT 0.1::DOUBLE * 3 - 0.25 AS x, 12 AS n";
    const table = await lta(["query", "--db", db, sql]);
    equal(table.code, 0, table.stderr);
    ok(/^\s*0\.05\s+12$/m.test(table.stdout), table.stdout);
    deepEqual(await queryJson(db, sql), [{ x: 0.1 * 3 - 0.25, n: 12 }]);
    const csv = await lta(["query", "--db", db, "--format", "csv", sql]);
    ok(csv.stdout.includes(String(0.1 * 3 - 0.25)), csv.stdout);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
