/**
 * The figures behind docs/scaling.md: how many typical files one `lta serve` loads per second, what a
 * track costs on disk in DuckDB and in a Parquet export, how long the export takes, and a query over the
 * lake. Prints one JSON line; run by bench/run.ts (or alone: `deno run -A bench/scaling.ts --files N`).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { writeTypicalFiles } from "../fixtures/generate.ts";
import { Connection, Database } from "../src/db/database.ts";
import { copyDatabase } from "../src/db/snapshot.ts";
import { exportParquet } from "../src/export/parquet.ts";
import { runSpc } from "../src/analyze/spc.ts";
import { spcOptions } from "../src/schedule/jobs.ts";
import { buildConfig } from "../src/config/config.ts";
import { syntheticTracks } from "./_synthetic.ts";
import { measure, TASK_ENV } from "./_measure.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { files: { type: "string", default: "2000" }, tracks: { type: "string", default: "1000000" } },
});
const count = Number(values.files);
const MAIN = new URL("../main.ts", import.meta.url).pathname;
const root = await Deno.makeTempDir({ prefix: "lta-scaling-" });
const env = {
  LTA_DB: join(root, "data", "lta.duckdb"),
  LTA_INBOX: join(root, "inbox"),
  LTA_QUARANTINE_DIR: join(root, "quarantine"),
  LTA_REPORTS_DIR: join(root, "reports"),
  LTA_EXPORT_DIR: join(root, "lake"),
  LTA_SITE: "bench",
  LTA_MIN_AGE_SECONDS: "0",
  LTA_LOG_FORMAT: "json",
  NO_COLOR: "1",
  ...TASK_ENV,
};

/** Runs `main.ts` as the `lta` task does, with its time and peak RSS. */
function lta(args: string[]): Promise<{ seconds: number; peakMb: number }> {
  return measure(Deno.execPath(), [
    "run",
    "-A",
    "--v8-flags=--max-semi-space-size=2,--expose-gc",
    MAIN,
    ...args,
  ], env);
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    total += e.isDirectory ? folderBytes(p) : Deno.statSync(p).size;
  }
  return total;
}

await writeTypicalFiles(env.LTA_INBOX, count);
const inboxBytes = folderBytes(env.LTA_INBOX);
const serve = await lta(["serve", "--once"]);

const db = await Database.open(env.LTA_DB, { readOnly: true });
const [stats] = await db.rows(
  `SELECT (SELECT count(*) FROM files WHERE status = 'loaded')::INT AS files, (SELECT count(*) FROM tracks)::INT AS tracks,
          (SELECT count(*) FROM points)::BIGINT AS points`,
);
db.close();
const dbBytes = Deno.statSync(env.LTA_DB).size;

const exported = await lta(["export", "parquet"]);
const lakeBytes = folderBytes(env.LTA_EXPORT_DIR);

// An analyst's query over the lake: daily sigma and pass rate per model, from the Parquet files alone.
const instance = await DuckDBInstance.create(":memory:", { autoinstall_known_extensions: "false" });
const lake = new Connection(await instance.connect());
const started = performance.now();
const trend = await lake.rows(
  `SELECT model, date, avg(sigma_gradient) AS sigma, avg((overall_status = 'PASS')::INT) AS pass_rate
   FROM read_parquet('${env.LTA_EXPORT_DIR}/tracks/**/*.parquet', hive_partitioning = true) GROUP BY ALL`,
);
const lakeQueryMs = performance.now() - started;
lake.close();
instance.closeSync();

// The nightly work over a history of `--tracks` verdicts (synthetic, 300 models): SPC over all of it, the
// consistent copy behind snapshots and exports, and a full Parquet export of the verdicts.
const bigTracks = Number(values.tracks);
const bigDb = join(root, "big", "lta.duckdb");
await syntheticTracks(bigDb, bigTracks, 300);
const big = await Database.open(bigDb);
const timed = async (work: () => Promise<unknown>) => {
  const t = performance.now();
  await work();
  return (performance.now() - t) / 1000;
};
const spcSeconds = await timed(() =>
  big.transaction(() => runSpc(big, spcOptions(buildConfig({}, {}, { db: bigDb }))))
);
const copySeconds = await timed(() => copyDatabase(big, join(root, "big", "copy.duckdb")));
const bigDbBytes = Deno.statSync(bigDb).size;
big.close();
const bigExportSeconds = await timed(() =>
  exportParquet(join(root, "big", "copy.duckdb"), {
    outDir: join(root, "big-lake"),
    site: "bench",
    keepDays: 0,
  })
);
const bigLakeBytes = folderBytes(join(root, "big-lake"));
await Deno.remove(root, { recursive: true });

console.log(JSON.stringify({
  files: Number(stats.files),
  tracks: Number(stats.tracks),
  points: Number(stats.points),
  inboxBytes,
  serveSeconds: serve.seconds,
  servePeakMb: serve.peakMb,
  dbBytes,
  exportSeconds: exported.seconds,
  exportPeakMb: exported.peakMb,
  lakeBytes,
  lakeQueryMs,
  lakeGroups: trend.length,
  bigTracks,
  bigDbBytes,
  spcSeconds,
  copySeconds,
  bigExportSeconds,
  bigLakeBytes,
}));
