/** The `lta` command line run as a real subprocess, as users and scripts run it. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { generatedFixtures, workspace } from "./_helpers.ts";

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
  const help = await lta(["--help"]);
  equal(help.code, 0);
  for (const cmd of ["serve", "ingest", "query", "analyze", "reprocess"]) ok(help.stdout.includes(cmd), cmd);
});
