/** Crash safety over real processes: kill -9 and SIGTERM mid-backlog lose nothing and load nothing twice. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { writeTypicalFiles } from "../fixtures/generate.ts";
import { Database } from "../src/db/database.ts";
import { crashDrill } from "./_crash.ts";

Deno.test("kill -9 at random moments, then a restart: every file in the ledger exactly once with all its points", async () => {
  const report = await crashDrill(30, 4);
  ok(report.killed >= 2, `${report.killed} of 4 rounds were killed mid-run`);
  deepEqual([report.ledgerRows, report.distinctHashes, report.pointMismatches], [120, 120, []]);
});

Deno.test("SIGTERM during a backlog stops cleanly with a consistent database, and a restart finishes the rest", async () => {
  const root = await Deno.makeTempDir({ prefix: "lta-sigterm-" });
  const files = await writeTypicalFiles(join(root, "inbox"), 60, 5);
  const env = {
    NO_COLOR: "1",
    LTA_DB: join(root, "lta.duckdb"),
    LTA_INBOX: join(root, "inbox"),
    LTA_QUARANTINE_DIR: join(root, "quarantine"),
    LTA_POLL_SECONDS: "0.05",
    LTA_MIN_AGE_SECONDS: "0",
    LTA_LOG_FORMAT: "json",
    LTA_HTTP_PORT: "0",
  };
  const main = new URL("../main.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", main, "serve"],
    env,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const decoder = new TextDecoderStream();
  const reading = (async () => {
    let buffer = "";
    for await (const text of child.stderr.pipeThrough(decoder)) {
      buffer += text;
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      lines.push(...parts);
      if (lines.filter((l) => l.includes('"file_loaded"')).length === 5) child.kill("SIGTERM");
    }
  })();
  const status = await child.status;
  await reading;
  equal(status.code, 0, lines.join("\n"));
  ok(
    lines.some((l) => l.includes('"stopping"')) && lines.at(-1)!.includes('"stopped"'),
    lines.slice(-3).join("\n"),
  );
  const loadedBeforeStop = lines.filter((l) => l.includes('"file_loaded"')).length;
  ok(loadedBeforeStop >= 5 && loadedBeforeStop < 60, `${loadedBeforeStop} loaded before the stop`);

  const check = async () => {
    const db = await Database.open(env.LTA_DB);
    try {
      return await db.rows(
        `SELECT f.file_id, f.n_points, (SELECT count(*) FROM points p WHERE p.file_id = f.file_id) AS stored,
                f.n_tracks, (SELECT count(*) FROM tracks t WHERE t.file_id = f.file_id) AS verdicts
         FROM files f`,
      );
    } finally {
      db.close();
    }
  };
  const afterStop = await check();
  equal(afterStop.length, loadedBeforeStop);
  for (const r of afterStop) deepEqual([r.stored, r.verdicts], [r.n_points, r.n_tracks]);

  const rest = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", main, "serve", "--once"],
    env,
  })
    .output();
  equal(rest.code, 0);
  const all = await check();
  equal(all.length, files.length);
  equal(all.reduce((n, r) => n + Number(r.stored), 0), files.reduce((n, f) => n + f.points, 0));
});
