/**
 * Ingest under 200 concurrent readers, against ingest alone, in the same run: `lta serve` loads the same
 * typical files into a fresh database, with nobody reading and while 200 clients loop on `/api/tracks` and
 * `/api/query` (with `--pages`: on the workbench's pages), alternating, two rounds each. Prints one JSON line: files/s both ways (harmonic mean),
 * the ratio, and the readers' answers by status.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeTypicalFiles } from "../fixtures/generate.ts";
import { loadedFiles, postQuery, serviceFolder, startService } from "../tests/_service_process.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { files: { type: "string", default: "600" }, pages: { type: "boolean", default: false } },
});
const count = Number(values.files);
/** With `--pages`, the clients load the workbench's pages instead of the API (each a reader of its own). */
const PAGES = [
  "/",
  "/models",
  "/models/2475-10?days=all",
  "/compare",
  "/units/2475-10/1000",
  "/search?q=10",
  "/alarms",
];

/** One client request: an API read, or with `--pages` the `i`-th page. */
function request(base: string, i: number, n: number): Promise<Response | null> {
  if (values.pages) return fetch(`${base}${PAGES[(i + n) % PAGES.length]}`).catch(() => null);
  return i % 2
    ? fetch(`${base}/api/tracks?limit=200`).catch(() => null)
    : postQuery(base, "SELECT model, count(*), avg(sigma_gradient) FROM v_tracks GROUP BY 1").catch(() =>
      null
    );
}
const source = await Deno.makeTempDir({ prefix: "lta-readers-" });
const files = await writeTypicalFiles(source, count);

/** Files per second for loading every file, with `readers` clients looping meanwhile. */
async function run(readers: number) {
  const folder = await serviceFolder({ pollSeconds: 0.1, minAgeSeconds: 0 });
  const service = await startService(folder.configFile, folder.db);
  const statuses: Record<string, number> = {};
  let reading = true;
  const clients = Array.from({ length: readers }, async (_, i) => {
    for (let n = 0; reading; n++) {
      const res = await request(service.base, i, n);
      const key = res ? String(res.status) : "network";
      statuses[key] = (statuses[key] ?? 0) + 1;
      await res?.body?.cancel();
      if (res?.status === 503) await new Promise((r) => setTimeout(r, 1000));
    }
  });
  // Files are copied beside the inbox first and moved in at once: copying them while 200 clients loop in
  // this process would measure this process's event loop, not the service.
  const staged = join(folder.root, "staged");
  await Deno.mkdir(staged);
  for (const f of files) await Deno.copyFile(f.path, join(staged, f.path.split("/").at(-1)!));
  const started = performance.now();
  for (const f of files) {
    const name = f.path.split("/").at(-1)!;
    Deno.renameSync(join(staged, name), join(folder.inbox, name));
  }
  const end = Date.now() + 600_000;
  while (await loadedFiles(service.base, -1) < count && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  reading = false;
  await Promise.all(clients);
  // A 500 is lta's own failure: the service logs what it was.
  const errors = service.log().split("\n").filter((l) => l.includes('"http_error"')).map((l) =>
    JSON.parse(l).error
  );
  await service.stop();
  await Deno.remove(folder.root, { recursive: true });
  return { rate: count / seconds, statuses, errors };
}

// Solo and loaded runs alternate, twice each: the machine's speed drifts by up to 30% between minutes.
const rounds = [];
for (let i = 0; i < 2; i++) rounds.push({ solo: await run(0), loaded: await run(200) });
await Deno.remove(source, { recursive: true });
const rate = (runs: Array<{ rate: number }>) => runs.length / runs.reduce((s, r) => s + 1 / r.rate, 0);
const solo = rate(rounds.map((r) => r.solo));
const withReaders = rate(rounds.map((r) => r.loaded));
const statuses: Record<string, number> = {};
for (const r of rounds) {
  for (const [k, n] of Object.entries(r.loaded.statuses)) statuses[k] = (statuses[k] ?? 0) + n;
}
console.log(
  JSON.stringify({
    files: count,
    rounds: rounds.length,
    solo,
    withReaders,
    ratio: withReaders / solo,
    statuses,
    errors: rounds.flatMap((r) => r.loaded.errors),
  }),
);
