/**
 * One writer, every hand through it: while `lta serve` holds the database, nothing it does (snapshots,
 * exports, the nightly jobs, a reopen) lets a second process open the file, and every CLI command works
 * through the service, its effect visible there and after a restart.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { ingestCommand } from "../src/cli/commands.ts";
import { buildConfig } from "../src/config/config.ts";
import { Database } from "../src/db/database.ts";
import { runService } from "../src/service.ts";
import { writeTypicalFiles } from "../fixtures/generate.ts";
import {
  loadedFiles,
  lta,
  probeOpen,
  serviceFolder,
  serviceRows,
  startService,
  until,
} from "./_service_process.ts";
import "./_helpers.ts";

const LOCKED = { readOnly: "database_locked", readWrite: "database_locked" };

Deno.test("while the service runs, no snapshot, export, nightly job or reopen lets a second process open its database", async () => {
  const folder = await serviceFolder();
  const files = await writeTypicalFiles(join(folder.root, "typical"), 6);
  const service = await startService(folder.configFile, folder.db);
  try {
    for (const f of files.slice(0, 3)) {
      await Deno.copyFile(f.path, join(folder.inbox, f.path.split("/").at(-1)!));
    }
    await until("three loads", async () => await loadedFiles(service.base) === 3);
    deepEqual(await probeOpen(folder.db), LOCKED, "before anything");

    const snapshot = await lta(["snapshot"], folder.configFile);
    equal(snapshot.code, 0, snapshot.stderr);
    ok(/wrote .*snapshots/.test(snapshot.stderr), snapshot.stderr);
    deepEqual(await probeOpen(folder.db), LOCKED, "after lta snapshot");

    const posted = await fetch(`${service.base}/api/snapshot`, {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    equal(posted.status, 200);
    const { path } = await posted.json();
    ok((await Deno.stat(path)).size > 0);
    deepEqual(await probeOpen(folder.db), LOCKED, "after POST /api/snapshot");

    const parquet = await lta(["export", "parquet"], folder.configFile);
    equal(parquet.code, 0, parquet.stderr);
    ok(/wrote export .*: \d+ files/.test(parquet.stderr), parquet.stderr);
    deepEqual(await probeOpen(folder.db), LOCKED, "after lta export parquet");

    const jobs = await lta(["jobs", "run"], folder.configFile);
    equal(jobs.code, 0, jobs.stderr);
    for (const job of ["reanalyze_day", "spc", "report", "snapshot", "checkpoint"]) {
      ok(jobs.stderr.includes(`${job}: ok`), jobs.stderr);
    }
    deepEqual(await probeOpen(folder.db), LOCKED, "after the nightly jobs");

    // Loading goes on after all of it.
    for (const f of files.slice(3)) {
      await Deno.copyFile(f.path, join(folder.inbox, f.path.split("/").at(-1)!));
    }
    await until("six loads", async () => await loadedFiles(service.base) === 6);
    deepEqual(await probeOpen(folder.db), LOCKED, "after more loads");
  } finally {
    equal(await service.stop(), 0, service.log());
  }
  // Stopped, the file is free again: the probe itself is not what refused.
  deepEqual(await probeOpen(folder.db), { readOnly: "opened", readWrite: "opened" });
});

Deno.test("alarms, SPC, a report, an Excel export and a chart all work through the CLI while the service loads files, and last after a restart", async () => {
  const folder = await serviceFolder();
  const files = await writeTypicalFiles(join(folder.root, "typical"), 12);
  // History and one open alarm from before the service started (the test process then lets go of the file).
  const config = buildConfig({}, {}, { db: folder.db, quarantineDir: folder.quarantineDir });
  await ingestCommand(files.slice(0, 8).map((f) => f.path), config);
  const db = await Database.open(folder.db);
  await db.exec(
    `INSERT INTO spc_alarms (model, metric, rule, description, first_at, last_at, first_file_id, last_file_id,
                             file_ids, points, created_at)
     SELECT model, 'linearity_error', 'nelson_1', 'one point beyond 3 sigma', test_date, test_date, file_id, file_id,
            [file_id], 1, now()::TIMESTAMP FROM files WHERE status = 'loaded' ORDER BY file_id LIMIT 1`,
  );
  const alarmId = Number(await db.value("SELECT max(alarm_id) FROM spc_alarms"));
  db.close();

  let service = await startService(folder.configFile, folder.db);
  try {
    // Files keep arriving while the commands run.
    for (const f of files.slice(8)) {
      await Deno.copyFile(f.path, join(folder.inbox, f.path.split("/").at(-1)!));
    }

    const listed = await lta(["alarms", "--format", "json"], folder.configFile);
    equal(listed.code, 0, listed.stderr);
    deepEqual(JSON.parse(listed.stdout).map((a: { alarm_id: number }) => a.alarm_id), [alarmId]);

    const ack = await lta(
      ["alarms", "--ack", String(alarmId), "--cause", "worn trim nozzle", "--by", "qe1"],
      folder.configFile,
    );
    equal(ack.code, 0, ack.stderr);
    ok(ack.stderr.includes(`alarm ${alarmId} acknowledged`), ack.stderr);
    const seen = await (await fetch(`${service.base}/api/alarms?all=1`)).json();
    equal(seen.rows[0][seen.columns.indexOf("assignable_cause")], "worn trim nozzle");

    const missing = await lta(["alarms", "--ack", "999999", "--cause", "x"], folder.configFile);
    equal(missing.code, 1);
    ok(missing.stderr.includes("no alarm 999999"), missing.stderr);

    const unnamed = await lta(["spc", "--recompute-limits", "--reason", "x"], folder.configFile);
    equal(unnamed.code, 1, "limits are recomputed only from a baseline named");
    ok(unnamed.stderr.includes("needs a baseline: --from DAY"), unnamed.stderr);
    const spc = await lta(
      [
        "spc",
        "--recompute-limits",
        "--from",
        "2000-01-01",
        "--points",
        "30",
        "--reason",
        "new nozzle",
        "--by",
        "qe",
      ],
      folder.configFile,
    );
    equal(spc.code, 0, spc.stderr);
    ok(/\d+ model\(s\) checked, \d+ new alarm\(s\)/.test(spc.stderr), spc.stderr);
    ok(
      /limits version \d+, centre|limits not recomputed: \d+ points in the baseline/.test(spc.stderr),
      spc.stderr,
    );
    const unknownModel = await lta(["spc", "--model", "NOPE"], folder.configFile);
    equal(unknownModel.code, 1);
    ok(unknownModel.stderr.includes('no analysed tracks of model "NOPE"'), unknownModel.stderr);

    const date = String(
      (await serviceRows(service.base, "SELECT strftime(max(test_date), '%Y-%m-%d') AS d FROM files"))[0].d,
    );
    const report = await lta(["report", "--date", date], folder.configFile);
    equal(report.code, 0, report.stderr);
    ok((await Deno.readTextFile(join(folder.reportsDir, date, "index.html"))).includes("<svg"));

    const xlsx = join(folder.root, "tracks.xlsx");
    const exported = await lta(["export", "--out", xlsx], folder.configFile);
    equal(exported.code, 0, exported.stderr);
    const tracks = Number(/: (\d+) track\(s\)/.exec(exported.stderr)![1]);
    ok(tracks >= 8, exported.stderr);
    const head = (await Deno.readFile(xlsx)).slice(0, 2);
    deepEqual([...head], [0x50, 0x4b], "a zip (xlsx) file");

    const fileName = String(
      (await serviceRows(service.base, "SELECT file_name FROM files ORDER BY file_id LIMIT 1"))[0].file_name,
    );
    const chart = await lta(["chart", fileName], folder.configFile);
    equal(chart.code, 0, chart.stderr);
    ok(chart.stdout.trimStart().startsWith("<svg"), chart.stdout.slice(0, 80));

    const capability = await lta(["capability", "--format", "json"], folder.configFile);
    equal(capability.code, 0, capability.stderr);
    ok(Array.isArray(JSON.parse(capability.stdout)));

    const analyzed = await lta(["analyze", "--all"], folder.configFile);
    equal(analyzed.code, 0, analyzed.stderr);
    ok(/\d+ tracks analysed/.test(analyzed.stderr), analyzed.stderr);

    await until("every file loaded", async () => await loadedFiles(service.base) === 12);
    // The service held its lock throughout: no command can have opened the file itself.
    deepEqual(await probeOpen(folder.db), LOCKED);
  } finally {
    equal(await service.stop(), 0, service.log());
  }
  service = await startService(folder.configFile, folder.db);
  try {
    const after = await (await fetch(`${service.base}/api/alarms?all=1`)).json();
    const row = after.rows.find((r: unknown[]) => r[0] === alarmId);
    deepEqual(
      [row[after.columns.indexOf("acknowledged_by")], row[after.columns.indexOf("assignable_cause")]],
      ["qe1", "worn trim nozzle"],
    );
    equal(await loadedFiles(service.base), 12);
  } finally {
    equal(await service.stop(), 0, service.log());
  }
});

Deno.test("after the service reopens its database, and after it recycles and is started again, a second process still cannot open it", async () => {
  const folder = await serviceFolder();
  const { root: _, configFile: __, ...settings } = folder;
  const config = buildConfig({}, {}, { ...settings, httpEnabled: false, memoryBudgetMb: 4096 });
  // The floor is measured before every second file from the third on: the second measurement reopens.
  const files = await writeTypicalFiles(join(folder.root, "typical"), 12);
  const drop = async (from: number, to: number) => {
    for (const f of files.slice(from, to)) {
      await Deno.copyFile(f.path, join(folder.inbox, f.path.split("/").at(-1)!));
    }
  };
  const events: string[] = [];
  const logger = { event: (name: string) => void events.push(name) };
  const run = (floorGrowth: number) => {
    const stop = new AbortController();
    const done = runService(config, {
      logger,
      signal: stop.signal,
      // Any rise of the floor reopens; past `floorGrowth` (negative: any) the process recycles.
      recycleAfter: { stuckReliefs: 1_000, files: 0, floorEvery: 2, reopenGrowth: -1, floorGrowth },
    });
    return { done, stop: () => stop.abort() };
  };

  const first = run(10);
  await drop(0, 6);
  await until("a reopen", () => Promise.resolve(events.includes("database_reopened")));
  deepEqual(await probeOpen(folder.db), LOCKED, "after a reopen");
  first.stop();
  equal(Boolean((await first.done).recycled), false);

  const second = run(-1);
  await drop(6, 12);
  const summary = await second.done;
  equal(summary.recycled, true, "recycled");
  // The service manager starts it again.
  const third = run(10);
  await until("the restart", () => Promise.resolve(events.filter((e) => e === "started").length === 3));
  deepEqual(await probeOpen(folder.db), LOCKED, "after a recycle and restart");
  third.stop();
  await third.done;
});
