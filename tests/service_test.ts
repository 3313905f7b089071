/** `lta serve` on a real folder: watching, claiming, disposing, scheduling and stopping. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { buildConfig, type Config } from "../src/config/config.ts";
import { Database } from "../src/db/database.ts";
import type { Logger } from "../src/log.ts";
import { runService } from "../src/service.ts";
import { type Job, Scheduler } from "../src/schedule/scheduler.ts";
import { generatedFixtures } from "./_helpers.ts";
import { writeTypicalFiles } from "../fixtures/generate.ts";

interface Recorded {
  name: string;
  fields: Record<string, unknown>;
}

function recorder(): { logger: Logger; events: Recorded[] } {
  const events: Recorded[] = [];
  return { events, logger: { event: (name, fields = {}) => events.push({ name, fields }) } };
}

async function until(what: string, test: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function serviceRoot(overrides: Partial<Config> = {}) {
  const root = await Deno.makeTempDir({ prefix: "lta-serve-" });
  const config = buildConfig({}, {}, {
    db: join(root, "data", "lta.duckdb"),
    inbox: join(root, "inbox"),
    quarantineDir: join(root, "quarantine"),
    archiveDir: join(root, "archive"),
    reportsDir: join(root, "reports"),
    pollSeconds: 0.1,
    minAgeSeconds: 0.3,
    timeZone: "UTC",
    logFormat: "json",
    httpPort: 0,
    // The service shares this test process (SheetJS, Vega…): budget for all of it.
    memoryBudgetMb: 4096,
    ...overrides,
  });
  await Deno.mkdir(config.inbox, { recursive: true });
  return { root, config };
}

function start(config: Config) {
  const { logger, events } = recorder();
  const stop = new AbortController();
  const done = runService(config, { logger, signal: stop.signal });
  const loaded = () =>
    events.filter((e) => e.name === "file_loaded").map((e) => String(e.fields.path).split("/").at(-1));
  return { events, loaded, stop: async () => (stop.abort(), await done) };
}

Deno.test("files dropped into the watched folder are loaded; ~$ owner files and temp files are ignored", async () => {
  const { dir, manifest } = await generatedFixtures();
  const { config } = await serviceRoot();
  const svc = start(config);
  try {
    const [a, b] = manifest.filter((m) => m.system);
    await Deno.mkdir(join(config.inbox, "line 2"));
    await Deno.copyFile(join(dir, a.file), join(config.inbox, a.file));
    await Deno.copyFile(join(dir, b.file), join(config.inbox, "line 2", b.file));
    await Deno.writeTextFile(join(config.inbox, `~$${a.file}`), "owner file");
    await Deno.writeTextFile(join(config.inbox, "x.xlsx.tmp"), "partial");
    await until("two loads", () => svc.loaded().length === 2);
    await new Promise((r) => setTimeout(r, 500));
    deepEqual(svc.loaded().sort(), [a.file, b.file].sort());
    equal(svc.events.filter((e) => e.name === "file_quarantined").length, 0);
  } finally {
    await svc.stop();
  }
});

Deno.test("a path longer than the system allows and a file dated in the future are each told once in the log", async () => {
  const { dir, manifest } = await generatedFixtures();
  const { config } = await serviceRoot();
  const [a, b] = manifest.filter((m) => m.system);
  // 23 nested folders of 200 characters: 4,600 bytes, past Linux's 4,096. Only a shell that walks in with
  // relative paths can make it; the file inside cannot be reached by its full path.
  const deep = await new Deno.Command("bash", {
    args: [
      "-c",
      `cd "$1" && for i in $(seq 23); do mkdir "$2" && cd "$2"; done && cp "$3" .`,
      "_",
      config.inbox,
      "d".repeat(200),
      join(dir, b.file),
    ],
  }).output();
  equal(deep.code, 0, new TextDecoder().decode(deep.stderr));
  const future = join(config.inbox, a.file);
  await Deno.copyFile(join(dir, a.file), future);
  const ahead = new Date(Date.now() + 3_600_000);
  await Deno.utime(future, ahead, ahead);
  const svc = start(config);
  try {
    await until("the file dated in the future to load", () => svc.loaded().length === 1);
    // Several more scans: each notice must stay a single line.
    await new Promise((r) => setTimeout(r, 600));
    const dated = svc.events.filter((e) => e.name === "future_mtime");
    equal(dated.length, 1);
    equal(dated[0].fields.path, future);
    ok(Number(dated[0].fields.ahead_s) > 3500, JSON.stringify(dated[0].fields));
    const skipped = svc.events.filter((e) => e.name === "inbox_path_skipped");
    equal(skipped.length, 1, JSON.stringify(skipped));
    ok(Number(skipped[0].fields.path_bytes) > 4096);
    ok(
      String(skipped[0].fields.reason).includes("longer than the system allows"),
      String(skipped[0].fields.reason),
    );
  } finally {
    await svc.stop();
  }
});

Deno.test("a file written slowly in chunks is claimed only once complete", async () => {
  const { dir, manifest } = await generatedFixtures();
  const { config } = await serviceRoot({ minAgeSeconds: 1 });
  const entry = manifest.find((m) => m.system === "A" && m.file.endsWith(".xls"))!;
  const bytes = await Deno.readFile(join(dir, entry.file));
  const svc = start(config);
  try {
    const target = await Deno.open(join(config.inbox, entry.file), { write: true, create: true });
    const chunk = Math.ceil(bytes.length / 5);
    for (let i = 0; i < bytes.length; i += chunk) {
      await target.write(bytes.subarray(i, i + chunk));
      await new Promise((r) => setTimeout(r, 600)); // longer than two scans, shorter than the minimum age
    }
    target.close();
    await until("the load", () => svc.loaded().length === 1);
  } finally {
    await svc.stop();
  }
  equal(svc.events.filter((e) => e.name === "file_quarantined").length, 0);
  const db = await Database.open(config.db);
  try {
    deepEqual(
      (await db.rows("SELECT status, n_points FROM files")).map((r) => [r.status, r.n_points]),
      [["loaded", entry.tracks!.reduce((n, t) => n + t.nPoints, 0) * 2]],
    );
  } finally {
    db.close();
  }
});

Deno.test("a file renamed into place is loaded once, and with polling alone (no file events)", async () => {
  const { dir, manifest } = await generatedFixtures();
  const { root, config } = await serviceRoot({ watchEvents: false, afterLoad: "archive" });
  const svc = start(config);
  const entry = manifest.find((m) => m.system === "B")!;
  try {
    const staging = join(root, "staging.xls");
    await Deno.copyFile(join(dir, entry.file), staging);
    await Deno.rename(staging, join(config.inbox, entry.file));
    await until("the load", () => svc.loaded().length === 1);
    await new Promise((r) => setTimeout(r, 600));
    equal(svc.loaded().length, 1);
  } finally {
    await svc.stop();
  }
  const archived = [...Deno.readDirSync(config.archiveDir)].flatMap((d) =>
    [...Deno.readDirSync(join(config.archiveDir, d.name))].map((f) => f.name)
  );
  deepEqual(archived, [entry.file]);
  deepEqual([...Deno.readDirSync(config.inbox)], []);
});

Deno.test("a restart does not read again what is already in the database", async () => {
  const { dir, manifest } = await generatedFixtures();
  const { config } = await serviceRoot();
  const files = manifest.filter((m) => m.system).slice(0, 3);
  for (const m of files) await Deno.copyFile(join(dir, m.file), join(config.inbox, m.file));
  const first = recorder();
  deepEqual(await runService(config, { logger: first.logger, once: true }), {
    loaded: 3,
    duplicate: 0,
    quarantined: 0,
  });
  const second = recorder();
  deepEqual(await runService(config, { logger: second.logger, once: true }), {
    loaded: 0,
    duplicate: 0,
    quarantined: 0,
  });
  equal(second.events.find((e) => e.name === "started")!.fields.known_files, 3);
});

/** A 02:00 UTC schedule running `job`, with the catch-up policy given. */
function nightly(db: Database, job: Job, catchUp: "latest" | "all", catchUpMax: number): Scheduler {
  return new Scheduler(
    db,
    [job],
    { cron: "0 2 * * *", timeZone: "UTC", catchUp, catchUpMax, exclusive: (w) => db.exclusive(w) },
    recorder().logger,
  );
}

/** A job named "probe" that records the occurrences it ran for. */
function probeJob(): { job: Job; ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    job: {
      name: "probe",
      run: ({ scheduledFor }) => (ran.push(scheduledFor.toISOString()), Promise.resolve()),
    },
  };
}

Deno.test("a nightly run missed while the service was down is caught up once, then never again", async () => {
  const { config } = await serviceRoot();
  const db = await Database.open(config.db);
  const { job, ran } = probeJob();
  const make = (catchUp: "latest" | "all") => nightly(db, job, catchUp, 7);
  try {
    await db.conn.run(
      "INSERT INTO schedule_runs (job, scheduled_for, started_at, finished_at, status) VALUES ('probe', '2026-11-20 02:00:00', '2026-11-20 02:00:00', '2026-11-20 02:01:00', 'ok')",
    );
    const now = new Date("2026-11-24T10:00:00Z");
    equal(await make("latest").catchUp(now), 1);
    deepEqual(ran, ["2026-11-24T02:00:00.000Z"]);
    equal(await make("latest").catchUp(now), 0, "after a restart: nothing twice");
    const rows = await db.rows("SELECT count(*) AS n FROM schedule_runs WHERE status = 'ok'");
    equal(rows[0].n, 2);
  } finally {
    db.close();
  }
});

Deno.test("catch-up policy all runs every missed night, oldest first, at most catchUpMax", async () => {
  const { config } = await serviceRoot();
  const db = await Database.open(config.db);
  const { job, ran } = probeJob();
  try {
    await db.conn.run(
      "INSERT INTO schedule_runs (job, scheduled_for, started_at, status) VALUES ('probe', '2026-11-20 02:00:00', '2026-11-20 02:00:00', 'ok')",
    );
    const s = nightly(db, job, "all", 3);
    equal(await s.catchUp(new Date("2026-11-24T10:00:00Z")), 3);
    deepEqual(ran, ["2026-11-22T02:00:00.000Z", "2026-11-23T02:00:00.000Z", "2026-11-24T02:00:00.000Z"]);
  } finally {
    db.close();
  }
});

Deno.test("a run left 'running' by a crash is marked interrupted and run again on start", async () => {
  const { config } = await serviceRoot();
  const db = await Database.open(config.db);
  let runs = 0;
  const job = { name: "probe", run: () => (runs++, Promise.resolve("done")) };
  try {
    await db.conn.run("INSERT INTO lta_meta VALUES ('first_started_at', '2026-11-23 00:00:00')");
    await db.conn.run(
      "INSERT INTO schedule_runs (job, scheduled_for, started_at, status) VALUES ('probe', '2026-11-23 02:00:00', '2026-11-23 02:00:00', 'running')",
    );
    const s = nightly(db, job, "all", 7);
    await s.start(new Date("2026-11-23T12:00:00Z"));
    await s.stop();
    equal(runs, 1);
    const [row] = await db.rows("SELECT status, attempts FROM schedule_runs");
    deepEqual([row.status, row.attempts], ["ok", 2]);
  } finally {
    db.close();
  }
});

Deno.test("a service stuck above pressure measures its floor at once, and recycles only when the floor has grown", async () => {
  // 64 MB is below what this test process alone holds: every relief leaves RSS above the threshold.
  for (const [floorGrowth, expectRecycle] of [[10, false], [-1, true]] as const) {
    // Growth allowed (10× the budget) → never recycles; none allowed → the next floor (by file 6) does.
    const floorEvery = expectRecycle ? 6 : 1_000;
    const { config } = await serviceRoot({ memoryBudgetMb: 64 });
    await writeTypicalFiles(config.inbox, 12, 7);
    const { logger, events } = recorder();
    const summary = await runService(config, {
      logger,
      once: true,
      // The first floor comes from reliefs stuck above pressure (at file 3, before any periodic one).
      recycleAfter: { stuckReliefs: 1, files: 3, floorEvery, floorGrowth },
    });
    const floors = events.filter((e) => e.name === "memory_floor");
    ok(floors.length >= (expectRecycle ? 2 : 1), `${floors.length} floor measurements`);
    equal(floors[0].fields.files, 3);
    equal(Boolean(summary.recycled), expectRecycle);
    const loaded = events.filter((e) => e.name === "file_loaded").length;
    if (expectRecycle) {
      const recycle = events.find((e) => e.name === "recycle")!;
      deepEqual([recycle.fields.reason, recycle.fields.exit_code], ["floor_growth", 75]);
      ok(loaded < 12, `recycled after ${loaded} files`);
    } else {
      // A budget the database alone outgrows is not helped by restarts: the service carries on.
      equal(loaded, 12);
    }
  }
});

Deno.test("a service whose memory floor rises past its own first floor recycles before its next file; none is lost or doubled", async () => {
  const { config } = await serviceRoot({});
  await writeTypicalFiles(config.inbox, 24, 9);
  const loaded: string[] = [];
  const handledPerRun: number[] = [];
  for (let run = 0;; run++) {
    if (run > 10) throw new Error("the service never finished the inbox");
    const { logger, events } = recorder();
    // The floor is measured every 5 files; any second floor counts as grown (a negative allowance).
    const summary = await runService(config, {
      logger,
      once: true,
      recycleAfter: { stuckReliefs: 1_000, files: 0, floorEvery: 5, floorGrowth: -1 },
    });
    const files = events.filter((e) => e.name === "file_loaded").map((e) => String(e.fields.path));
    loaded.push(...files);
    handledPerRun.push(files.length);
    if (!summary.recycled) break;
    const floors = events.filter((e) => e.name === "memory_floor");
    deepEqual(floors.map((e) => e.fields.files), [5, 10]);
    equal(floors[0].fields.baseline_mb, null);
    ok(Number(floors[1].fields.baseline_mb) > 0);
    const recycle = events.find((e) => e.name === "recycle")!;
    deepEqual([recycle.fields.reason, recycle.fields.files, recycle.fields.exit_code], [
      "floor_growth",
      10,
      75,
    ]);
  }
  deepEqual(handledPerRun, [10, 10, 4]);
  equal(new Set(loaded).size, 24);
  const db = await Database.open(config.db, { readOnly: true });
  try {
    deepEqual(await db.rows("SELECT count(*)::INT AS n, count(DISTINCT sha256)::INT AS h FROM files"), [{
      n: 24,
      h: 24,
    }]);
  } finally {
    db.close();
  }
});

Deno.test("a service whose floor rises reopens its database first, and carries on without recycling when that was enough", async () => {
  const { config } = await serviceRoot({});
  await writeTypicalFiles(config.inbox, 12, 13);
  const { logger, events } = recorder();
  // Any rise over the lowest floor reopens (a negative allowance); the process would recycle only past 10×.
  const summary = await runService(config, {
    logger,
    once: true,
    recycleAfter: { stuckReliefs: 1_000, files: 0, floorEvery: 3, reopenGrowth: -1, floorGrowth: 10 },
  });
  equal(Boolean(summary.recycled), false);
  const reopened = events.filter((e) => e.name === "database_reopened");
  deepEqual(reopened.map((e) => e.fields.files), [6, 9]);
  ok(reopened.every((e) => Number(e.fields.after_mb) > 0 && Number(e.fields.ms) >= 0));
  equal(events.filter((e) => e.name === "file_loaded").length, 12);
  const db = await Database.open(config.db, { readOnly: true });
  try {
    equal(Number(await db.value("SELECT count(DISTINCT sha256) FROM files WHERE status = 'loaded'")), 12);
  } finally {
    db.close();
  }
});
