/**
 * The damage drill: a stopped service's database damaged three ways (cut short, a garbled block, a WAL
 * from an earlier checkpoint) stops `lta serve` as damaged, `lta doctor` says so, and `lta recover`
 * rebuilds a database whose ledger, points and verdicts equal those of a clean run over the same files.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { ingestCommand } from "../src/cli/commands.ts";
import { buildConfig } from "../src/config/config.ts";
import { Database } from "../src/db/database.ts";
import { writeTypicalFiles } from "../fixtures/generate.ts";
import { loadedFiles, lta, serviceFolder, startService, until } from "./_service_process.ts";
import "./_helpers.ts";

/** What a database holds, keyed by content: the ledger, a checksum of each file's points, the verdicts. */
async function contents(path: string) {
  const db = await Database.open(path, { readOnly: true });
  try {
    return {
      ledger: await db.rows(
        `SELECT sha256, file_name, status, n_points, n_tracks, model, serial FROM files ORDER BY sha256`,
      ),
      points: await db.rows(
        `SELECT f.sha256, count(*) AS n, sum(hash(p.track_id, p.stage, p.row_index, p.position, p.error))::VARCHAR AS h
         FROM points p JOIN files f USING (file_id) GROUP BY 1 ORDER BY 1`,
      ),
      verdicts: await db.rows(
        `SELECT f.sha256, t.track_id, t.overall_status, t.sigma_gradient, t.linearity_error, t.fail_points
         FROM tracks t JOIN files f USING (file_id) ORDER BY 1, 2`,
      ),
    };
  } finally {
    db.close();
  }
}

/** `lta serve` on a damaged database: it must exit by itself; its exit code and output. */
async function serveOnce(configFile: string) {
  const result = await lta(["serve"], configFile, 60_000);
  if (result.code === -1) throw new Error(`lta serve did not stop on a damaged database: ${result.stderr}`);
  return result;
}

/** Leaves a WAL at `db` written before the database's latest checkpoint (what a kill mid-checkpoint leaves). */
async function staleWal(db: string): Promise<void> {
  const script = `import { Database } from "./src/db/database.ts";
    const db = await Database.open(Deno.env.get("LTA_DRILL_DB"), { checkpointThreshold: "1GB" });
    await db.exec("INSERT OR REPLACE INTO lta_meta VALUES ('drill', 'x')");
    Deno.kill(Deno.pid, "SIGKILL");`;
  const env: Record<string, string> = { ...Deno.env.toObject(), LTA_DRILL_DB: db };
  delete env.RUST_BACKTRACE;
  const root = new URL("..", import.meta.url).pathname;
  await new Deno.Command(Deno.execPath(), { args: ["eval", script], env, cwd: root }).output();
  await Deno.copyFile(`${db}.wal`, `${db}.old-wal`);
  (await Database.open(db)).close(); // replays the WAL and checkpoints: the file moves on an iteration
  await Deno.rename(`${db}.old-wal`, `${db}.wal`);
}

async function garble(db: string): Promise<void> {
  const size = (await Deno.stat(db)).size;
  const file = await Deno.open(db, { read: true, write: true });
  try {
    for (let at = Math.floor(size * 0.25); at < size * 0.75; at += 65_536) {
      await file.seek(at, Deno.SeekMode.Start);
      await file.write(new Uint8Array(4096).map((_, i) => (i * 131 + at) % 251));
    }
  } finally {
    file.close();
  }
}

const DAMAGE: Record<string, (db: string) => Promise<void>> = {
  "cut short": async (db) => await Deno.truncate(db, Math.floor((await Deno.stat(db)).size / 2)),
  "a garbled block": garble,
  "a WAL from an earlier checkpoint": staleWal,
};

Deno.test("a damaged database stops lta serve as damaged, and lta recover rebuilds what a clean run holds", async () => {
  const folder = await serviceFolder({ afterLoad: "archive" });
  const files = await writeTypicalFiles(join(folder.root, "typical"), 12);
  const drop = async (from: number, to: number) => {
    for (const f of files.slice(from, to)) {
      await Deno.copyFile(f.path, join(folder.inbox, f.path.split("/").at(-1)!));
    }
  };
  // Six files, a snapshot, six more: the plant's history, half of it after the newest snapshot.
  const service = await startService(folder.configFile, folder.db);
  try {
    await drop(0, 6);
    await until("six loads", async () => await loadedFiles(service.base) === 6);
    equal((await lta(["snapshot"], folder.configFile)).code, 0);
    await drop(6, 12);
    await until("twelve loads", async () => await loadedFiles(service.base) === 12);
  } finally {
    equal(await service.stop(), 0, service.log());
  }
  const pristine = join(folder.root, "pristine.duckdb");
  await Deno.copyFile(folder.db, pristine);

  const reference = join(folder.root, "reference", "lta.duckdb");
  await ingestCommand(
    files.map((f) => f.path),
    buildConfig({}, {}, { db: reference, quarantineDir: join(folder.root, "rq") }),
  );
  const expected = await contents(reference);
  equal(expected.ledger.length, 12);

  for (const [how, damage] of Object.entries(DAMAGE)) {
    await Deno.copyFile(pristine, folder.db);
    await Deno.remove(`${folder.db}.wal`).catch(() => {});
    await damage(folder.db);

    const serve = await serveOnce(folder.configFile);
    ok(serve.code !== 0, `${how}: lta serve exited ${serve.code}`);
    ok(
      serve.stderr.includes('"event":"database_damaged"'),
      `${how}: no database_damaged log line: ${serve.stderr}`,
    );
    ok(
      serve.stderr.includes("lta doctor") && !serve.stderr.includes("another process"),
      `${how}: ${serve.stderr}`,
    );

    const doctor = await lta(["doctor"], folder.configFile);
    equal(doctor.code, 1, `${how}: doctor ${doctor.stdout}`);
    ok(doctor.stdout.includes("verdict: damaged"), `${how}: ${doctor.stdout}`);

    const recovered = await lta(["recover"], folder.configFile);
    equal(recovered.code, 0, `${how}: ${recovered.stderr}`);
    ok(/kept the damaged file as .*\.damaged-/.test(recovered.stderr), recovered.stderr);
    ok(/from .*snapshots.*, 6 file\(s\) loaded again/.test(recovered.stderr), `${how}: ${recovered.stderr}`);
    deepEqual(await contents(folder.db), expected, `${how}: the recovered database differs from a clean run`);
    equal((await lta(["doctor"], folder.configFile)).code, 0, `${how}: doctor after recovery`);

    // The damaged files were kept beside it, not overwritten; cleared for the next round.
    const kept = [...Deno.readDirSync(join(folder.root, "data"))].filter((e) => e.name.includes(".damaged-"));
    ok(kept.length >= 1, how);
    for (const e of kept) await Deno.remove(join(folder.root, "data", e.name));
  }
});
