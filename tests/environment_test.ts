/**
 * Failures that are the environment's, not the file's: a file rewritten while it is read, a FIFO in the
 * inbox, a file the service may not read. None is quarantined; none stops the service.
 */
import { equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { buildConfig } from "../src/config/config.ts";
import { Database } from "../src/db/database.ts";
import { loadFile, SourceChanged } from "../src/ingest/load.ts";
import { readWorkbookFile } from "../src/ingest/read_file.ts";
import { classifyFailure, RetryBook } from "../src/ingest/retry.ts";
import { writeTypicalFiles } from "../fixtures/generate.ts";
import { type AsUser, lta, serviceFolder, startService, until } from "./_service_process.ts";

Deno.test("a file rewritten in place while it is read is not quarantined; it loads as its new version", async () => {
  const root = await Deno.makeTempDir({ prefix: "lta-env-" });
  const [first, second] = await writeTypicalFiles(join(root, "typical"), 2);
  const path = join(root, "inbox.xls");
  await Deno.copyFile(first.path, path);
  const config = buildConfig({}, {}, {
    db: join(root, "data", "lta.duckdb"),
    quarantineDir: join(root, "q"),
  });
  const db = await Database.open(config.db);
  try {
    const newVersion = await Deno.readFile(second.path);
    // The station writes its next version over the file while lta reads the first.
    const rewriting = async (request: Parameters<typeof readWorkbookFile>[0]) => {
      const parsed = await readWorkbookFile(request);
      await Deno.writeFile(path, newVersion);
      return parsed;
    };
    await rejects(
      loadFile(db, path, { quarantineDir: config.quarantineDir, read: rewriting }),
      (e: Error) => e instanceof SourceChanged && classifyFailure(e).scope === "file",
    );
    equal(Number(await db.value("SELECT count(*) FROM files")), 0, "nothing recorded, nothing quarantined");
    const outcome = await loadFile(db, path, { quarantineDir: config.quarantineDir });
    equal(outcome.kind, "loaded");
    const [row] = await db.rows("SELECT sha256, size_bytes FROM files");
    equal(Number(row.size_bytes), newVersion.length, "the new version is the one loaded");
  } finally {
    db.close();
  }
});

Deno.test("a file that keeps failing waits 5 s, 10 s, 20 s … between tries, never a tight loop", () => {
  const book = new RetryBook();
  const t0 = 1_000_000;
  const waits = [1, 2, 3, 4].map(() =>
    book.fail("/inbox/a.xls", "permission_denied", "denied", t0).nextAt - t0
  );
  equal(waits.join(","), "5000,10000,20000,40000");
  ok(!book.due("/inbox/a.xls", t0 + 39_999) && book.due("/inbox/a.xls", t0 + 40_000));
  equal(book.counts().permission_denied, 1);
  book.succeeded("/inbox/a.xls");
  equal(book.size, 0);
});

Deno.test("a FIFO in the inbox neither blocks loading nor stops the service from stopping within 10 s", async () => {
  const folder = await serviceFolder();
  await Deno.mkdir(join(folder.inbox, "line 1"), { recursive: true });
  for (const name of ["pipe.xls", join("line 1", "pipe.xlsx")]) {
    const out = await new Deno.Command("mkfifo", { args: [join(folder.inbox, name)] }).output();
    ok(out.success, "mkfifo");
  }
  const [good] = await writeTypicalFiles(join(folder.root, "typical"), 1);
  await Deno.copyFile(good.path, join(folder.inbox, "good.xls"));
  const service = await startService(folder.configFile, folder.db);
  const end = Date.now() + 20_000;
  while (!service.log().includes('"event":"file_loaded"')) {
    if (Date.now() > end) throw new Error(`the good file beside the FIFOs never loaded: ${service.log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const stopping = performance.now();
  equal(await service.stop(), 0, service.log());
  const seconds = (performance.now() - stopping) / 1000;
  ok(seconds < 10, `stopping took ${seconds.toFixed(1)} s`);
});

/** A service folder owned by `nobody`, with one file it may read and one it may not (root's, mode 000). */
async function unreadableFolder() {
  const folder = await serviceFolder({ incompleteSeconds: 1 });
  const [readable, secret] = await writeTypicalFiles(join(folder.root, "typical"), 2);
  const locked = join(folder.inbox, "locked.xls");
  await Deno.copyFile(readable.path, join(folder.inbox, "readable.xls"));
  await Deno.copyFile(secret.path, locked);
  const chown = await new Deno.Command("chown", { args: ["-R", "nobody:nogroup", folder.root] }).output();
  ok(chown.success, "chown");
  await Deno.chown(locked, 0, 0);
  await Deno.chmod(locked, 0o000);
  const as: AsUser = { user: "nobody", home: folder.root };
  return { folder, locked, as };
}

Deno.test("lta ingest, run as a user who may not read one file, names it, loads the others, quarantines nothing", async () => {
  const { folder, locked, as } = await unreadableFolder();
  const result = await lta(["ingest", folder.inbox], folder.configFile, 120_000, as);
  equal(result.code, 0, result.stderr);
  ok(result.stderr.includes(`skipped ${locked}: permission_denied`), result.stderr);
  ok(/^1 loaded, 0 duplicate, 0 quarantined, 1 skipped, /m.test(result.stderr), result.stderr);
});

Deno.test("the service, run as a user who may not read a file, retries it with backoff and loads it once it may", async () => {
  const { folder, locked, as } = await unreadableFolder();
  const service = await startService(folder.configFile, folder.db, as);
  try {
    await until(
      "a permission_denied retry",
      () => Promise.resolve(service.log().includes('"code":"permission_denied"')),
    );
    const metrics = await (await fetch(`${service.base}/metrics`)).text();
    ok(metrics.includes('lta_files_waiting{code="permission_denied"} 1'), metrics);
    equal(
      await Deno.stat(folder.quarantineDir).then(
        () => [...Deno.readDirSync(folder.quarantineDir)].length,
        () => 0,
      ),
      0,
    );
    const retries = () => service.log().split("\n").filter((l) => l.includes('"event":"file_retry"')).length;
    const seen = retries();
    await new Promise((r) => setTimeout(r, 3_000));
    ok(retries() - seen <= 1, `${retries() - seen} retries in 3 s: a loop`);
    await Deno.chmod(locked, 0o644);
    await until(
      "the file loaded once readable",
      () =>
        Promise.resolve(
          service.log().split("\n").some((l) =>
            l.includes('"event":"file_loaded"') && l.includes("locked.xls")
          ),
        ),
      60_000,
    );
  } finally {
    equal(await service.stop(), 0, service.log().slice(-1500));
  }
});
