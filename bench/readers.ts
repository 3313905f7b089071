/**
 * Ingest under 200 concurrent readers, against ingest alone, in the same run: `lta serve` loads the same
 * typical files twice (a fresh database each time), once with nobody reading and once while 200 clients
 * loop on `/api/tracks` and `/api/query`. Prints one JSON line: files/s both ways, the ratio, and the
 * readers' answers by status.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeTypicalFiles } from "../fixtures/generate.ts";
import { loadedFiles, postQuery, serviceFolder, startService } from "../tests/_service_process.ts";

const { values } = parseArgs({ args: Deno.args, options: { files: { type: "string", default: "600" } } });
const count = Number(values.files);
const source = await Deno.makeTempDir({ prefix: "lta-readers-" });
const files = await writeTypicalFiles(source, count);

/** Files per second for loading every file, with `readers` clients looping meanwhile. */
async function run(readers: number) {
  const folder = await serviceFolder({ pollSeconds: 0.1, minAgeSeconds: 0 });
  const service = await startService(folder.configFile, folder.db);
  const statuses: Record<string, number> = {};
  let reading = true;
  const clients = Array.from({ length: readers }, async (_, i) => {
    while (reading) {
      const res = i % 2
        ? await fetch(`${service.base}/api/tracks?limit=200`).catch(() => null)
        : await postQuery(
          service.base,
          "SELECT model, count(*), avg(sigma_gradient) FROM v_tracks GROUP BY 1",
        )
          .catch(() => null);
      const key = res ? String(res.status) : "network";
      statuses[key] = (statuses[key] ?? 0) + 1;
      await res?.body?.cancel();
      if (res?.status === 503) await new Promise((r) => setTimeout(r, 1000));
    }
  });
  const started = performance.now();
  for (const f of files) await Deno.copyFile(f.path, join(folder.inbox, f.path.split("/").at(-1)!));
  const end = Date.now() + 600_000;
  while (await loadedFiles(service.base, -1) < count && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  reading = false;
  await Promise.all(clients);
  await service.stop();
  await Deno.remove(folder.root, { recursive: true });
  return { rate: count / seconds, statuses };
}

const solo = await run(0);
const loaded = await run(200);
await Deno.remove(source, { recursive: true });
console.log(
  JSON.stringify({
    files: count,
    solo: solo.rate,
    withReaders: loaded.rate,
    ratio: loaded.rate / solo.rate,
    statuses: loaded.statuses,
  }),
);
