/** The memory gate's state machine and admission, with a scripted sampler (the boundary with the OS). */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { Database } from "../src/db/database.ts";
import { duckdbSettings, memoryBudget, walCheckpointBytes } from "../src/memory/budget.ts";
import { openBudgetedDatabase } from "../src/memory/budgeted_db.ts";
import { type GateState, MemoryGate, type MemorySample, registerRelief } from "../src/memory/gate.ts";

const MB = 1024 * 1024;

/** A sampler whose RSS the test sets. */
function scripted(startMb: number) {
  const box = { rssMb: startMb };
  const sampler = (): MemorySample => ({
    rss: box.rssMb * MB,
    heapUsed: 0,
    external: 0,
    systemTotal: 8192 * MB,
    systemAvailable: 4096 * MB,
  });
  return { box, sampler };
}

Deno.test("the gate rises at 80% and 95% of the budget and falls back only 5 points below, logging each change", () => {
  const { box, sampler } = scripted(100);
  const changes: string[] = [];
  const gate = new MemoryGate({
    budgetBytes: 200 * MB,
    sampler,
    onChange: (from, to) => changes.push(`${from}->${to}`),
  });
  const at = (mb: number): GateState => {
    box.rssMb = mb;
    gate.sample();
    return gate.state;
  };
  deepEqual(
    [at(150), at(160), at(155), at(151), at(149), at(190), at(185), at(181), at(179), at(100)],
    ["ok", "pressure", "pressure", "pressure", "ok", "critical", "critical", "critical", "pressure", "ok"],
  );
  deepEqual(changes, ["ok->pressure", "pressure->ok", "ok->critical", "critical->pressure", "pressure->ok"]);
});

Deno.test("admit() waits while the cost does not fit, dropping caches meanwhile, and goes on once it fits", async () => {
  const { box, sampler } = scripted(180);
  let dropped = 0;
  const unregister = registerRelief("test cache", () => {
    dropped++;
    box.rssMb -= 10; // each relief frees 10 MB
  });
  const gate = new MemoryGate({ budgetBytes: 200 * MB, sampler, waitMs: 1, maxWaits: 1000 });
  const waited = await gate.admit(20 * MB, 1);
  ok(box.rssMb + 20 <= 190, `admitted at ${box.rssMb} MB`);
  ok(dropped >= 1 && waited >= 0);
  equal(gate.overBudgetAdmissions, 0);
  unregister();
});

Deno.test("under pressure admit() lets memory go before it is critical, at most once per relief interval", async () => {
  const { box, sampler } = scripted(170); // 85% of 200: pressure, and 10 MB still fits
  let reliefs = 0;
  const unregister = registerRelief("test pool", () => {
    reliefs++;
  });
  try {
    const gate = new MemoryGate({ budgetBytes: 200 * MB, sampler, reliefIntervalMs: 60 });
    equal(gate.state, "pressure");
    const afterStateChange = reliefs; // rising into pressure relieves once
    for (let i = 0; i < 5; i++) await gate.admit(10 * MB);
    equal(reliefs - afterStateChange, 0, "within the interval of the state change's relief");
    await new Promise((r) => setTimeout(r, 70));
    await gate.admit(10 * MB);
    await gate.admit(10 * MB);
    equal(reliefs - afterStateChange, 1);
    box.rssMb = 100;
    gate.sample();
    await new Promise((r) => setTimeout(r, 70));
    await gate.admit(10 * MB);
    equal(reliefs - afterStateChange, 1, "no relief while ok");
  } finally {
    unregister();
  }
});

Deno.test("admit() never drops work: with nothing in flight it lets it through after a bounded wait, and counts it", async () => {
  const { sampler } = scripted(195);
  const gate = new MemoryGate({ budgetBytes: 200 * MB, sampler, waitMs: 1, maxWaits: 5 });
  await gate.admit(50 * MB, 0);
  equal(gate.overBudgetAdmissions, 1);
});

Deno.test("the cost estimate learns from what files really cost, and batch sizes shrink under pressure", () => {
  const { box, sampler } = scripted(10);
  const gate = new MemoryGate({ budgetBytes: 200 * MB, sampler });
  const before = gate.estimate("xlsx", 1_000_000);
  for (let i = 0; i < 30; i++) gate.observe("xlsx", 1_000_000, 2_000_000);
  const after = gate.estimate("xlsx", 1_000_000);
  ok(after < before && Math.abs(after - 2_000_000) < 100_000, `${before} → ${after}`);
  const okSizes = gate.batchSizes();
  box.rssMb = 170;
  gate.sample();
  const tight = gate.batchSizes();
  ok(tight.flushRows < okSizes.flushRows && tight.analysisTracks < okSizes.analysisTracks);
});

Deno.test("the default budget is min(512 MB, 25% of RAM); DuckDB gets 40% of it and a WAL of budget/64", () => {
  equal(walCheckpointBytes(256 * MB), 2 * MB);
  equal(walCheckpointBytes(64 * MB), 1 * MB);
  equal(walCheckpointBytes(8192 * MB), 8 * MB);
  equal(memoryBudget(0, 24 * 1024 * MB), 512 * MB);
  equal(memoryBudget(0, 1024 * MB), 256 * MB);
  equal(memoryBudget(300, 24 * 1024 * MB), 300 * MB);
  deepEqual(duckdbSettings(256 * MB), {
    memoryLimit: "102MB",
    threads: 1,
    checkpointThreshold: "4MB",
    maxTempDirectorySize: "2048MB",
  });
  deepEqual(duckdbSettings(512 * MB), {
    memoryLimit: "204MB",
    threads: 2,
    checkpointThreshold: "8MB",
    maxTempDirectorySize: "4096MB",
  });
});

Deno.test("when relief frees nothing (native growth), the gate stops waiting on it for the next files", async () => {
  const { sampler } = scripted(195);
  const gate = new MemoryGate({ budgetBytes: 200 * MB, sampler, waitMs: 20, maxWaits: 2 });
  const first = await gate.admit(10 * MB, 0);
  ok(first >= 35, `first admission tried relief (${first.toFixed(0)} ms)`);
  const next = await gate.admit(10 * MB, 0);
  ok(next < 15, `next admission did not wait (${next.toFixed(0)} ms)`);
  equal(gate.overBudgetAdmissions, 2);
});

Deno.test("a new database file has 16 KB blocks and 8,192-row groups, and releaseMemory hands cached blocks back", async () => {
  const dir = await Deno.makeTempDir();
  const db = await Database.open(join(dir, "m.duckdb"), { memoryLimit: "64MB" });
  try {
    equal(
      Number(await db.value("SELECT block_size FROM pragma_database_size() WHERE database_name = 'lta'")),
      16384,
    );
    await db.conn.run("CREATE TABLE scratch AS SELECT range AS a, random() AS b FROM range(100000)");
    await db.conn.run("CHECKPOINT");
    equal(
      Number(await db.value("SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('scratch')")),
      13,
    );
    const limit = await db.value("SELECT current_setting('memory_limit')");
    await db.value("SELECT sum(b) FROM scratch"); // reads the table's blocks into the buffer pool
    const cached = Number(await db.value("SELECT sum(memory_usage_bytes) FROM duckdb_memory()"));
    const freed = await db.releaseMemory();
    ok(freed > 0 && freed <= cached, `freed ${freed} of ${cached} bytes`);
    equal(await db.value("SELECT current_setting('memory_limit')"), limit);
    equal(Number(await db.value("SELECT count(*) FROM scratch")), 100000);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a file admitted once the WAL has reached budget/128 ends its turn with a checkpoint", async () => {
  const dir = await Deno.makeTempDir();
  const budgeted = await openBudgetedDatabase(join(dir, "w.duckdb"), 64, { event: () => {} });
  const { db } = budgeted;
  try {
    await db.conn.run("CREATE TABLE scratch (a BIGINT, b DOUBLE)");
    const walAfter: number[] = [];
    // Each "file" logs ~0.1 MB of WAL (inserts under a row group go through it); DuckDB's own checkpoint
    // would wait for 2 MB.
    for (let file = 0; file < 20; file++) {
      await budgeted.admitFile(join(dir, "f.xls"), 1000, async () => {
        await db.conn.run(
          `INSERT INTO scratch SELECT range, random() FROM range(${file * 6_000}, ${(file + 1) * 6_000})`,
        );
      });
      walAfter.push(db.walBytes());
    }
    // The WAL grows past 1 MB (budget/128 of 64 MB) once, and the turn that saw it checkpointed.
    ok(walAfter.some((w) => w > 0), `WAL sizes ${walAfter}`);
    ok(walAfter.every((w) => w < walCheckpointBytes(64 * MB)), `WAL sizes ${walAfter}`);
    ok(walAfter.some((w, i) => i > 0 && w < walAfter[i - 1]), `a checkpoint emptied the WAL: ${walAfter}`);
    equal(Number(await db.value("SELECT count(*) FROM scratch")), 120_000);
  } finally {
    await budgeted.close();
    await Deno.remove(dir, { recursive: true });
  }
});
