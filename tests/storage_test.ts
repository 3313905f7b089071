/**
 * Storage that cannot take writes: a database folder that fills up (a small tmpfs) or is read-only.
 * Files that did not fit stay in the inbox, loaded data stay intact, /ready and /metrics say why, and
 * loading resumes by itself once writes work again, every file once in the ledger.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { writeTypicalFiles } from "../fixtures/generate.ts";
import { loadedFiles, lta, serviceFolder, serviceRows, startService, until } from "./_service_process.ts";
import { classifyFailure, IngestPause } from "../src/ingest/retry.ts";

async function run(cmd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

async function ready(base: string): Promise<{ status: number; problems: string[] }> {
  const res = await fetch(`${base}/ready`);
  return { status: res.status, problems: (await res.json()).problems };
}

Deno.test("a database folder that is disk full pauses loading, keeps files in the inbox, and resumes by itself", async () => {
  const folder = await serviceFolder({ pollSeconds: 0.2 });
  const data = join(folder.root, "data");
  await Deno.mkdir(data, { recursive: true });
  await run("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", data);
  const filler = join(data, "filler");
  const files = await writeTypicalFiles(join(folder.root, "typical"), 8);
  const drop = async (from: number, to: number) => {
    for (const f of files.slice(from, to)) {
      await Deno.copyFile(f.path, join(folder.inbox, f.path.split("/").at(-1)!));
    }
  };
  const service = await startService(folder.configFile, folder.db);
  try {
    await drop(0, 3);
    await until("three loads", async () => await loadedFiles(service.base) === 3);
    const before = await serviceRows(service.base, "SELECT sha256, n_points FROM files ORDER BY sha256");

    let filling = true;
    // Every byte taken, and kept taken: DuckDB deletes its own spill files in <db>.tmp now and then,
    // and the room they free must not let a commit through (another process filling the disk would
    // take it too).
    const file = await Deno.open(filler, { write: true, create: true });
    const fill = async () => {
      try {
        for (;;) await file.write(new Uint8Array(16_384));
      } catch (e) {
        ok(String(e).includes("No space left"), String(e));
      }
    };
    await fill();
    const keptFull = (async () => {
      while (filling) {
        await fill();
        await new Promise((r) => setTimeout(r, 5));
      }
      file.close();
    })();

    await drop(3, 8);
    await until("the pause on /ready", async () => (await ready(service.base)).status === 503, 30_000)
      .catch((e) => {
        throw new Error(
          `${e.message}; the service log: ${
            service.log().split("\n").filter((l) => !l.includes("file_loaded")).slice(-12).join("\n")
          }`,
        );
      });
    const paused = await ready(service.base);
    const code = "disk_full";
    ok(
      paused.problems.some((p) => p.includes(`ingest paused`) && p.includes(code)),
      JSON.stringify(paused),
    );
    const metrics = await (await fetch(`${service.base}/metrics`)).text();
    ok(metrics.includes(`lta_ingest_paused{reason="${code}"} 1`), metrics);
    ok(service.log().includes('"event":"ingest_paused"'), service.log().slice(-2000));
    // Not quarantined: the files wait in the inbox, and what was loaded is untouched.
    equal([...Deno.readDirSync(folder.inbox)].length, 8);
    equal(
      await Deno.stat(folder.quarantineDir).then(
        () => [...Deno.readDirSync(folder.quarantineDir)].length,
        () => 0,
      ),
      0,
    );
    // What was loaded is untouched (a file may have got in through room DuckDB had just freed).
    const during = await serviceRows(service.base, "SELECT sha256, n_points FROM files ORDER BY sha256");
    deepEqual(during.filter((r) => before.some((b) => b.sha256 === r.sha256)), before);

    filling = false;
    await keptFull;
    await Deno.remove(filler);
    await until(
      "every file loaded after the storage came back",
      async () => await loadedFiles(service.base) === 8,
      60_000,
    );
    const ledger = await serviceRows(
      service.base,
      "SELECT count(*) AS n, count(DISTINCT sha256) AS d FROM files",
    );
    deepEqual(ledger, [{ n: 8, d: 8 }]);
    equal((await ready(service.base)).status, 200);
    ok(service.log().includes('"event":"ingest_resumed"'));
  } finally {
    equal(await service.stop(), 0, service.log().slice(-2000));
    // The bind mount (if a failure left it) and the tmpfs.
    while (await run("umount", data).then(() => true, () => false));
  }
});

Deno.test("a database folder that is read-only stops lta serve once with read_only, never a retry loop", async () => {
  const folder = await serviceFolder();
  const data = join(folder.root, "data");
  await Deno.mkdir(data, { recursive: true });
  await run("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", data);
  try {
    const service = await startService(folder.configFile, folder.db);
    equal(await service.stop(), 0, service.log());
    // With nothing open on it, the folder can turn read-only (a running DuckDB's open files keep
    // their write access, and the kernel refuses the remount: "mount point is busy").
    await run("mount", "-o", "remount,ro", data);
    const started = performance.now();
    const serve = await lta(["serve"], folder.configFile, 30_000);
    ok(performance.now() - started < 30_000);
    equal(serve.code, 1, serve.stderr);
    ok(serve.stderr.includes('"event":"read_only"'), serve.stderr);
    ok(serve.stderr.includes("cannot be written (read-only file system or permissions)"), serve.stderr);
    equal(
      serve.stderr.split("\n").filter((l) => l.includes('"level":"error"')).length,
      1,
      "one error, not a loop",
    );
  } finally {
    await run("umount", data);
  }
});

Deno.test("storage failures pause all claiming; a file's own failures wait its own backoff", () => {
  const erofs = new Error('IO Error: Cannot open file "/plant/data/lta.duckdb.wal": Read-only file system');
  const enospc = new Error(
    'TransactionContext Error: Failed to commit: Could not write file "x.wal": No space left on device',
  );
  deepEqual(classifyFailure(erofs), { scope: "storage", code: "read_only" });
  deepEqual(classifyFailure(enospc), { scope: "storage", code: "disk_full" });
  equal(classifyFailure(new Deno.errors.PermissionDenied("Permission denied (os error 13)")).scope, "file");
  const pause = new IngestPause();
  ok(pause.pause("read_only", "x", 0) && !pause.pause("read_only", "x", 10));
  ok(!pause.due(4_999) && pause.due(1_000_000));
  equal(pause.resume()?.code, "read_only");
  ok(pause.due(0));
});
