/**
 * 200 readers at once while files load: every answer is data or a 503 with Retry-After from the bounded
 * reader queue, never an engine error, and every file still loads. (The rate ingest keeps meanwhile is a
 * benchmark: `deno task bench`, section 11.)
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { writeTypicalFiles } from "../fixtures/generate.ts";
import { loadedFiles, postQuery, serviceFolder, startService } from "./_service_process.ts";
import { ReaderGate } from "../src/server/reader_gate.ts";

const QUERY = `SELECT model, count(*) AS tracks, avg(sigma_gradient) AS sigma, max(linearity_error) AS worst
               FROM v_tracks GROUP BY model ORDER BY model`;

Deno.test("200 concurrent readers while files load get data or 503 with Retry-After, never an engine error", async () => {
  const folder = await serviceFolder({ httpReaders: 4, httpReaderQueue: 32 });
  const files = await writeTypicalFiles(join(folder.root, "typical"), 60);
  const service = await startService(folder.configFile, folder.db);
  try {
    for (const f of files) await Deno.copyFile(f.path, join(folder.inbox, f.path.split("/").at(-1)!));
    const statuses: Record<string, number> = {};
    const problems: string[] = [];
    const loaded = () => loadedFiles(service.base, -1);
    // 200 clients keep reading for as long as the files load (a cache eviction under such load once left
    // DuckDB's memory limit at 1 MB, after which every load and read failed).
    let reading = true;
    const clients = Array.from({ length: 200 }, async (_, i) => {
      while (reading) {
        const res = i % 2
          ? await fetch(`${service.base}/api/tracks?limit=500`)
          : await postQuery(service.base, QUERY);
        const body = await res.text();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 503 && res.headers.get("retry-after") !== "1") {
          problems.push("503 without Retry-After");
        }
        if (res.status !== 200 && res.status !== 503) problems.push(`${res.status}: ${body.slice(0, 200)}`);
        if (res.status === 503) await new Promise((r) => setTimeout(r, 200));
      }
    });
    const end = Date.now() + 90_000;
    while (await loaded() !== files.length && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    reading = false;
    await Promise.all(clients);
    deepEqual([...new Set(problems)], []);
    equal(await loaded(), files.length, "every file loaded while the readers read");
    ok((statuses[200] ?? 0) >= 36, `readers were served: ${JSON.stringify(statuses)}`);
    ok((statuses[503] ?? 0) > 0, `the queue was full at some point: ${JSON.stringify(statuses)}`);
    // Still answering, with DuckDB's memory limit back where lta set it.
    const after = await postQuery(service.base, QUERY);
    equal(after.status, 200, await after.text());
  } finally {
    equal(await service.stop(), 0, service.log().slice(-1500));
  }
});

Deno.test("while files load, one reader at a time holds the database for at most its share of the time", async () => {
  let loading = false;
  const gate = new ReaderGate({ active: 4, waiting: 2, shareWhileLoading: 0.25, loading: () => loading });
  // Idle: four read at once, two wait, the seventh is turned away at once.
  const admitted = await Promise.all([1, 2, 3, 4].map(() => gate.enter()));
  deepEqual(admitted, [true, true, true, true]);
  const waiters = [gate.enter(), gate.enter()];
  equal(await gate.enter(), false, "the line is full");
  equal(gate.waiting, 2);
  for (let i = 0; i < 4; i++) gate.leave(1);
  deepEqual(await Promise.all(waiters), [true, true]);
  gate.leave(1);
  gate.leave(1);
  equal(gate.running, 0);

  // Loading: a read of 40 ms keeps the next out for 40 × (1 − 0.25) / 0.25 = 120 ms.
  loading = true;
  equal(await gate.enter(), true);
  const second = gate.enter();
  equal(gate.running, 1, "one reader at a time while files load");
  await new Promise((r) => setTimeout(r, 40));
  const left = performance.now();
  gate.leave(40);
  equal(await second, true);
  const paused = performance.now() - left;
  ok(paused >= 115, `the next read waited ${paused.toFixed(0)} ms`);
  gate.leave(1);
  loading = false;
  equal(await gate.enter(), true, "loading over: no pause");
  gate.leave(1);
});
