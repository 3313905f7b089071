/**
 * The hostile corpus (fixtures/hostile.ts): every file ends loaded or quarantined with its reason, quickly
 * and within the memory budget, through `lta ingest` and through the service, which keeps answering and
 * loads the next good file.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { hostileCases, writeHostileCorpus } from "../fixtures/hostile.ts";
import { loadFiles } from "../src/actions/files.ts";
import { buildConfig } from "../src/config/config.ts";
import { openBudgetedDatabase } from "../src/memory/budgeted_db.ts";
import { writeTypicalFiles } from "../fixtures/generate.ts";
import { lta, serviceFolder, serviceRows, startService, until } from "./_service_process.ts";

const PER_FILE_MS = 20_000;
const quiet = { event() {} };

/** Each file's outcome: `loaded`, `duplicate` or its quarantine code, by file name. */
type Outcomes = Record<string, string>;

Deno.test("every hostile file ends loaded or quarantined with its own reason within 20 s, and the next good file loads", async () => {
  const cases = hostileCases();
  ok(cases.length >= 60, `${cases.length} cases`);
  const root = await Deno.makeTempDir({ prefix: "lta-hostile-" });
  const config = buildConfig({}, {}, {
    db: join(root, "data", "lta.duckdb"),
    quarantineDir: join(root, "q"),
  });
  const [good] = await writeTypicalFiles(join(root, "good"), 1);
  const budgeted = await openBudgetedDatabase(config.db, 512, quiet);
  const seen: Outcomes = {};
  try {
    for (const c of cases) {
      const path = join(root, c.file);
      await Deno.writeFile(path, c.bytes);
      const started = performance.now();
      await loadFiles([{ path }], budgeted, config, undefined, (o) => {
        seen[c.file] = o.kind === "quarantined" ? o.code : o.kind;
      });
      const ms = performance.now() - started;
      ok(ms < PER_FILE_MS, `${c.file} (${c.why}) took ${Math.round(ms)} ms`);
    }
    const after = await loadFiles([{ path: good.path }], budgeted, config);
    equal(after.loaded, 1, "the good file after the corpus");
  } finally {
    await budgeted.close();
  }
  deepEqual(seen, Object.fromEntries(cases.map((c) => [c.file, c.expect])));
});

Deno.test("lta ingest over the hostile corpus reads every file, exits 0 and names each quarantined file's reason", async () => {
  const folder = await serviceFolder();
  const cases = await writeHostileCorpus(join(folder.root, "corpus"));
  const result = await lta(["ingest", join(folder.root, "corpus")], folder.configFile);
  equal(result.code, 0, result.stderr);
  // .xlsm is no workbook extension a folder walk takes.
  const walked = cases.filter((c) => /\.xlsx?$/.test(c.file));
  const loaded = walked.filter((c) => c.expect === "loaded").length;
  const summary = new RegExp(`^${loaded} loaded, 0 duplicate, ${walked.length - loaded} quarantined`, "m");
  ok(summary.test(result.stderr), result.stderr.slice(-400));
  for (const c of walked.filter((c) => c.expect !== "loaded")) {
    ok(result.stderr.includes(`quarantined [${c.expect}] ${c.file}`), `${c.file}: ${c.expect}`);
  }
});

/** Peak RSS of process `pid` (VmHWM), in bytes. */
async function peakRss(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** RSS of `pid` and its child processes (the parse process) now, in bytes; what the machine gives up. */
async function treeRss(pid: number): Promise<number> {
  const rss = async (p: number) => {
    const statm = await Deno.readTextFile(`/proc/${p}/statm`).catch(() => "0 0");
    return Number(statm.split(" ")[1]) * 4096;
  };
  const children = await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`).catch(() => "");
  const sizes = await Promise.all(
    [pid, ...children.trim().split(/\s+/).filter(Boolean).map(Number)].map(rss),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

Deno.test("the service takes the hostile corpus without stalling: /health within 1 s throughout, under its budget, every file decided", async () => {
  const budgetMb = 512;
  const folder = await serviceFolder({ memoryBudgetMb: budgetMb, incompleteSeconds: 2 });
  const cases = hostileCases().filter((c) => /\.xlsx?$/.test(c.file));
  const service = await startService(folder.configFile, folder.db);
  let slowest = 0;
  let watching = true;
  let treePeak = 0;
  const sampling = (async () => {
    while (watching) {
      treePeak = Math.max(treePeak, await treeRss(service.pid));
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const health = (async () => {
    while (watching) {
      const started = performance.now();
      const res = await fetch(`${service.base}/health`, { signal: AbortSignal.timeout(5_000) });
      await res.body?.cancel();
      slowest = Math.max(slowest, performance.now() - started);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    for (const c of cases) await Deno.writeFile(join(folder.inbox, c.file), c.bytes);
    const decided = async () =>
      (await serviceRows(
        service.base,
        "SELECT file_name, coalesce(reason_code, status) AS outcome FROM files",
      )) as Array<
        { file_name: string; outcome: string }
      >;
    await until("every hostile file decided", async () => (await decided()).length === cases.length, 60_000)
      .catch(async (e) => {
        const names = new Set((await decided()).map((r) => r.file_name));
        throw new Error(
          `${e.message}; undecided: ${cases.filter((c) => !names.has(c.file)).map((c) => c.file)}`,
        );
      });
    const [good] = await writeTypicalFiles(join(folder.root, "good"), 1);
    await Deno.copyFile(good.path, join(folder.inbox, "after the corpus.xls"));
    await until("the good file after the corpus", async () => (await decided()).length === cases.length + 1);
    const rows = await decided();
    deepEqual(
      Object.fromEntries(
        rows.filter((r) => r.file_name !== "after the corpus.xls").map((r) => [r.file_name, r.outcome]),
      ),
      Object.fromEntries(cases.map((c) => [c.file, c.expect])),
    );
    equal(rows.find((r) => r.file_name === "after the corpus.xls")?.outcome, "loaded");
    const peak = await peakRss(service.pid);
    ok(
      peak < budgetMb * 1024 * 1024,
      `peak RSS ${Math.round(peak / 1e6)} MB against a ${budgetMb} MiB budget`,
    );
  } finally {
    watching = false;
    await health;
    await sampling;
    equal(await service.stop(), 0, service.log());
  }
  ok(slowest < 1000, `/health took ${Math.round(slowest)} ms at worst`);
  // The parse process counts too: the machine gives up both (sampled every 10 ms).
  ok(
    treePeak < budgetMb * 1024 * 1024,
    `service and parse process peaked at ${Math.round(treePeak / 1e6)} MB`,
  );
});
