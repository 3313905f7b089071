/**
 * A backlog of `--files` typical files through `lta serve --once` under a memory budget: RSS when the
 * 1,000th and the last file are loaded, its median over the 100 files up to each, and the peak, sampled
 * every 50 ms. With `--big-rows N`, one
 * N-row `.xlsx` arrives in the middle of the burst. Afterwards the ledger is checked: every file loaded,
 * none twice. A service that recycles (exit code 75) is restarted, as its service manager would. Prints one
 * JSON line.
 */
import { treeRss } from "./_measure.ts";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeTypicalFiles } from "../fixtures/generate.ts";
import { serveEnv } from "../tests/_crash.ts";
import { writeBigXlsx } from "./big_xlsx.ts";
import { Database } from "../src/db/database.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    files: { type: "string", default: "10000" },
    budget: { type: "string", default: "256" },
    "big-rows": { type: "string", default: "0" },
    recycle: { type: "string", default: "true" },
    isolation: { type: "string", default: "process" },
  },
});
const files = Number(values.files);
const root = await Deno.makeTempDir({ prefix: "lta-backlog-" });
for (let done = 0; done < files; done += 1000) {
  await writeTypicalFiles(join(root, "inbox", `batch-${done}`), Math.min(1000, files - done), 100 + done);
}
const bigRows = Number(values["big-rows"]);
if (bigRows > 0) {
  // Named to sort among the typical files' dates, so it is claimed mid-burst.
  await Deno.mkdir(join(root, "inbox", "batch-big"), { recursive: true });
  await writeBigXlsx(join(root, "inbox", "batch-big", "9100_1_TA_Test Data_5-14-2024_8-30 AM.xlsx"), bigRows);
}
const total = files + (bigRows > 0 ? 1 : 0);
const main = new URL("../main.ts", import.meta.url).pathname;
const started = performance.now();
let rss = 0;
let peak = 0;
let servicePeak = 0;
let childPeak = 0;
let loaded = 0;
let rssAtLast = 0;
let overBudgetWaits = 0;
let recycles = 0;
/** RSS at every 1,000th file, to show where in a long run memory goes. */
const rssEvery1000: number[] = [];
/** RSS when each file was loaded, in load order: medians over 100 files read past the working-set sawtooth. */
const rssByFile: number[] = [];
// A service that recycles (exit code 75) is started again, as its service manager would.
for (;;) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--v8-flags=--max-semi-space-size=2,--expose-gc", main, "serve", "--once"],
    cwd: root,
    env: serveEnv(root, {
      LTA_MEMORY_BUDGET_MB: values.budget!,
      LTA_RECYCLE: values.recycle!,
      LTA_PARSE_ISOLATION: values.isolation!,
    }),
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const timer = setInterval(() => {
    // The service and its parse process together; the service alone beside it.
    rss = treeRss(child.pid) || rss;
    peak = Math.max(peak, rss);
    try {
      const own =
        Number(/VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${child.pid}/status`))?.[1] ?? 0) * 1024;
      // Only while the service runs: at its exit the tree's last sample and a zero would read as a child.
      if (own > 0) {
        servicePeak = Math.max(servicePeak, own);
        childPeak = Math.max(childPeak, rss - own);
      }
    } catch { /* exited */ }
  }, 50);
  let buffer = "";
  for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) {
    buffer += text;
    const lines = buffer.split("\n");
    buffer = lines.pop()!;
    for (const line of lines) {
      if (line.includes('"file_loaded"')) {
        loaded++;
        rssByFile.push(rss);
        if (line.includes("memory_wait_ms")) overBudgetWaits++;
        if (loaded % 1000 === 0) rssEvery1000.push(rss);
        if (loaded === total) rssAtLast = rss;
      }
    }
  }
  const { code } = await child.status;
  clearInterval(timer);
  if (code !== 75) break;
  recycles++;
}
const seconds = (performance.now() - started) / 1000;
/** The median RSS over the 100 files that end with the `last`-th (1-based). */
function medianRssUpTo(last: number): number {
  const window = rssByFile.slice(Math.max(0, last - 100), last).sort((a, b) => a - b);
  return window[window.length >> 1] ?? 0;
}
const db = await Database.open(join(root, "data", "lta.duckdb"), { readOnly: true });
const [ledger] = await db.rows(
  "SELECT count(*)::INT AS rows, count(DISTINCT sha256)::INT AS hashes, count(*) FILTER (WHERE status = 'loaded')::INT AS loaded FROM files",
);
db.close();
await Deno.remove(root, { recursive: true });
console.log(
  JSON.stringify({
    files: total,
    loaded,
    ledger,
    seconds,
    rssAt1000: rssEvery1000[0] ?? 0,
    rssAtLast,
    medianAt1000: medianRssUpTo(1000),
    medianAtLast: medianRssUpTo(rssByFile.length),
    peak,
    servicePeak,
    childPeak,
    overBudgetWaits,
    recycles,
    rssEvery1000,
    budgetMb: Number(values.budget),
  }),
);
