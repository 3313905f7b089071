/**
 * The crash drill shared by the test (short form) and the benchmark (20 × 200): `lta serve --once` killed
 * with SIGKILL at a random moment, restarted, and finally run to the end; then every file must be in
 * `files` exactly once with all its points.
 */
import { join } from "node:path";
import { writeTypicalFiles } from "../fixtures/generate.ts";
import { Database } from "../src/db/database.ts";
import { rng } from "../fixtures/trim_model.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

export interface CrashReport {
  rounds: number;
  killed: number;
  files: number;
  ledgerRows: number;
  distinctHashes: number;
  pointMismatches: string[];
}

/** The environment of an `lta serve --once` over `<root>/inbox` into `<root>/data`, scanning fast. */
export function serveEnv(root: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NO_COLOR: "1",
    LTA_DB: join(root, "data", "lta.duckdb"),
    LTA_INBOX: join(root, "inbox"),
    LTA_QUARANTINE_DIR: join(root, "quarantine"),
    LTA_POLL_SECONDS: "0.05",
    LTA_MIN_AGE_SECONDS: "0",
    LTA_LOG_FORMAT: "json",
    // As the start task runs the service (deno.json).
    MALLOC_ARENA_MAX: "1",
    ...extra,
  };
}

function serve(root: string) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "serve", "--once"],
    cwd: root,
    env: serveEnv(root),
    stdout: "null",
    stderr: "piped",
  });
}

/**
 * Runs `rounds` rounds, each dropping `count` new files and killing the service with SIGKILL at a random
 * moment of its backlog; then a clean run, and checks the ledger against every file written.
 */
export async function crashDrill(count: number, rounds: number, seed = 11): Promise<CrashReport> {
  const root = await Deno.makeTempDir({ prefix: "lta-crash-" });
  const random = rng(seed);
  const files: Array<{ path: string; points: number }> = [];
  let killed = 0;
  for (let round = 0; round < rounds; round++) {
    files.push(...await writeTypicalFiles(join(root, "inbox", `round-${round}`), count, seed + round * 7919));
    const child = serve(root).spawn();
    // Start-up takes ~0.3 s and a file ~10 ms: kill anywhere from before the first file to the backlog's end.
    const delay = 150 + random() * count * 12;
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
        killed++;
      } catch { /* already finished */ }
    }, delay);
    await child.output();
    clearTimeout(timer);
  }
  const final = await serve(root).output();
  if (final.code !== 0) throw new Error(`final run failed: ${new TextDecoder().decode(final.stderr)}`);
  const db = await Database.open(join(root, "data", "lta.duckdb"));
  try {
    const [ledger] = await db.rows(
      "SELECT count(*) AS n, count(DISTINCT sha256) AS d FROM files WHERE status = 'loaded'",
    );
    const counts = new Map(
      (await db.rows(
        "SELECT f.path, f.n_points, (SELECT count(*) FROM points p WHERE p.file_id = f.file_id) AS stored FROM files f",
      )).map((r) => [String(r.path), [Number(r.n_points), Number(r.stored)]]),
    );
    const pointMismatches = files
      .filter((f) => {
        const c = counts.get(f.path);
        return !c || c[0] !== f.points || c[1] !== f.points;
      })
      .map((f) =>
        `${f.path}: expected ${f.points}, ledger/stored ${counts.get(f.path)?.join("/") ?? "missing"}`
      );
    return {
      rounds,
      killed,
      files: files.length,
      ledgerRows: Number(ledger.n),
      distinctHashes: Number(ledger.d),
      pointMismatches,
    };
  } finally {
    db.close();
    await Deno.remove(root, { recursive: true });
  }
}
