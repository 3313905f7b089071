/**
 * `deno task bench [--files N] [--tracks N] [--only 6,9,10]`: ingest and analysis throughput and peak RSS,
 * each beside a baseline measured in the same run (SheetJS, Python/pandas, NumPy/SciPy), printed as ratios.
 * `--only` picks sections; the ingest of section 2 always runs, as section 3 analyses its database.
 * Everything runs on generated files in a temporary folder and stops by itself.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import XLSX from "xlsx";
import { writeTypicalFiles } from "../fixtures/generate.ts";
import { systemAFile } from "../fixtures/generate.ts";
import { workbookBytes } from "../fixtures/workbooks.ts";
import { parseTrimWorkbook } from "../src/ingest/layouts/registry.ts";
import { openXls } from "../src/ingest/readers/xls.ts";
import { openXlsx } from "../src/ingest/readers/xlsx.ts";
import { Database } from "../src/db/database.ts";
import { crashDrill } from "../tests/_crash.ts";
import { benchScript, measure, TASK_ENV } from "./_measure.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    files: { type: "string", default: "1000" },
    tracks: { type: "string", default: "10000" },
    "crash-files": { type: "string", default: "200" },
    "crash-rounds": { type: "string", default: "20" },
    backlog: { type: "string", default: "10000" },
    only: { type: "string", default: "" },
  },
});
/** `--only 6,9,10` runs those sections alone. */
const ONLY = new Set(args.only.split(",").filter(Boolean).map(Number));
const section = (n: number) => ONLY.size === 0 || ONLY.has(n);
const FILES = Number(args.files);
const TRACKS = Number(args.tracks);
const MAIN = new URL("../main.ts", import.meta.url).pathname;
const root = await Deno.makeTempDir({ prefix: "lta-bench-" });

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function hasPandas(): boolean {
  try {
    const out = new Deno.Command("/usr/bin/python3", { args: ["-c", "import pandas, xlrd"] }).outputSync();
    return out.code === 0;
  } catch {
    return false;
  }
}

const row = (label: string, value: string) => console.log(`${label.padEnd(58)} ${value}`);

// 1. Per-file read time of typical files (warm, in process), against SheetJS on the same bytes.
if (section(1)) {
  const typical = systemAFile(
    { model: "2475-10", serial: "1", dateSerial: 45000, untrimmedResistance: 9000, trimmedResistance: 10000 },
    [{}],
    3,
  );
  const xls = workbookBytes(typical.sheets, "xls");
  const xlsxPath = join(root, "typical.xlsx");
  await Deno.writeFile(xlsxPath, workbookBytes(typical.sheets, "xlsx"));
  const time = async (fn: () => Promise<unknown> | unknown, n = 200) => {
    for (let i = 0; i < 20; i++) await fn();
    const t: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      await fn();
      t.push(performance.now() - s);
    }
    return median(t);
  };
  const ourXls = await time(async () => {
    const book = openXls(xls, "typical.xls");
    await parseTrimWorkbook(book, "typical.xls");
    book.close();
  });
  const sheetjsXls = await time(() => XLSX.read(xls, { type: "array" }), 50);
  const ourXlsx = await time(async () => {
    const book = await openXlsx(xlsxPath, "typical.xlsx");
    await parseTrimWorkbook(book, "typical.xlsx");
    book.close();
  });
  const xlsxBytes = await Deno.readFile(xlsxPath);
  const sheetjsXlsx = await time(() => XLSX.read(xlsxBytes, { type: "array" }), 50);
  console.log("\n== read one typical file (System A, 161 points, 2 stages), median warm ms ==");
  row(".xls  lta (cfb + BIFF8 decoder, layout)", `${ourXls.toFixed(2)} ms  (goal ≤ 5 ms)`);
  row(
    ".xls  SheetJS read (baseline)",
    `${sheetjsXls.toFixed(2)} ms  ratio ${(sheetjsXls / ourXls).toFixed(1)}× faster`,
  );
  row(".xlsx lta (yauzl + htmlparser2, layout)", `${ourXlsx.toFixed(2)} ms  (goal ≤ 8 ms)`);
  row(
    ".xlsx SheetJS read (baseline)",
    `${sheetjsXlsx.toFixed(2)} ms  ratio ${(sheetjsXlsx / ourXlsx).toFixed(1)}× faster`,
  );
}

// 2. `lta ingest` over FILES typical files, against a pandas read_excel loop over the same files.
const inbox = join(root, "inbox");
const db = join(root, "data", "bench.duckdb");
console.log(`\n== lta ingest of ${FILES} generated typical .xls files (load + analyse, one process) ==`);
await writeTypicalFiles(inbox, FILES);
const ingest = await measure(Deno.execPath(), ["run", "--allow-all", MAIN, "ingest", inbox, "--db", db], {
  NO_COLOR: "1",
  ...TASK_ENV,
});
const ingestRate = FILES / ingest.seconds;
row("lta ingest", `${ingestRate.toFixed(0)} files/s, peak RSS ${ingest.peakMb.toFixed(0)} MB`);
if (section(2) && hasPandas()) {
  // Debian's pandas refuses Debian's xlrd 1.2 in read_excel, so this does what read_excel(sheet_name=None,
  // header=None) does with it: open with xlrd, one DataFrame per sheet.
  const script = `
import sys, glob, xlrd, pandas as pd
for f in sorted(glob.glob(sys.argv[1] + "/*.xls")):
    wb = xlrd.open_workbook(f)
    frames = {s.name: pd.DataFrame([s.row_values(r) for r in range(s.nrows)]) for s in wb.sheets()}
`;
  const py = await measure("/usr/bin/python3", ["-c", script, inbox]);
  const pyRate = FILES / py.seconds;
  row(
    "python3 xlrd + pandas DataFrame per sheet loop (baseline)",
    `${pyRate.toFixed(0)} files/s, peak RSS ${py.peakMb.toFixed(0)} MB`,
  );
  row(
    "ratio lta / pandas",
    `${(ingestRate / pyRate).toFixed(2)}× the files/s, ${
      (ingest.peakMb / py.peakMb).toFixed(1)
    }× the peak RSS`,
  );
} else if (section(2)) {
  row("pandas baseline", "skipped: apt-get install python3-pandas python3-xlrd");
}

// 3. `lta analyze --all` over TRACKS tracks (the loaded ones replicated in SQL), against NumPy/SciPy.
if (section(3)) {
  const handle = await Database.open(db, { externalAccess: true });
  const have = Number(await handle.value("SELECT count(*) FROM track_meta"));
  const copies = Math.max(0, Math.ceil(TRACKS / have) - 1);
  const maxId = Number(await handle.value("SELECT max(file_id) FROM files"));
  for (let k = 1; k <= copies; k++) {
    const off = k * (maxId + 1);
    await handle.conn.run(
      `INSERT INTO files SELECT * REPLACE (file_id + ${off} AS file_id, sha256 || '-${k}' AS sha256) FROM files WHERE file_id <= ${maxId}`,
    );
    await handle.conn.run(
      `INSERT INTO track_meta SELECT * REPLACE (file_id + ${off} AS file_id) FROM track_meta WHERE file_id <= ${maxId}`,
    );
    await handle.conn.run(
      `INSERT INTO points SELECT * REPLACE (file_id + ${off} AS file_id) FROM points WHERE file_id <= ${maxId}`,
    );
  }
  const tracks = Number(await handle.value("SELECT count(*) FROM track_meta"));
  const csv = join(root, "tracks.csv");
  await handle.conn.run(
    `COPY (SELECT p.file_id, p.track_id, p.position, p.error, p.upper_limit, p.lower_limit
           FROM points p JOIN track_meta m USING (file_id, track_id)
           WHERE p.stage = CASE WHEN m.has_trimmed THEN 'trimmed' ELSE 'untrimmed' END
           ORDER BY p.file_id, p.track_id, p.row_index) TO '${csv}' (HEADER)`,
  );
  handle.close();
  console.log(`\n== lta analyze --all over ${tracks} tracks (filter, gradients, both offset searches) ==`);
  const analyze = await measure(
    Deno.execPath(),
    ["run", "--allow-all", MAIN, "analyze", "--all", "--db", db],
    {
      NO_COLOR: "1",
    },
  );
  const rate = tracks / analyze.seconds;
  row("lta analyze --all", `${rate.toFixed(0)} tracks/s, peak RSS ${analyze.peakMb.toFixed(0)} MB`);
  const script = new URL("./scipy_analyze.py", import.meta.url).pathname;
  try {
    const py = await measure("/usr/bin/python3", [script, csv]);
    const pyRate = tracks / Number(/seconds=([\d.]+)/.exec(py.text)?.[1] ?? py.seconds);
    row(
      "python3 NumPy/SciPy per-track analysis, compute only (baseline)",
      `${pyRate.toFixed(0)} tracks/s, peak RSS ${py.peakMb.toFixed(0)} MB`,
    );
    row(
      "ratio lta / SciPy",
      `${(rate / pyRate).toFixed(2)}× the tracks/s (lta's time includes reading and writing DuckDB)`,
    );
  } catch (e) {
    row("SciPy baseline", `skipped: ${(e as Error).message.split("\n")[0]}`);
  }
}

// 4. Per-track charts: throughput and RSS growth (a leak would show as RSS rising from chart 500 on).
if (section(4)) {
  const charts = 5000;
  console.log(`\n== ${charts} per-track charts (read from DuckDB, Vega → SVG), one process ==`);
  const r = (await benchScript("charts.ts", [db, String(charts)])).json;
  for (
    const [label, p] of [["render only (data read once)", r.renderOnly], [
      "read from DuckDB + render",
      r.endToEnd,
    ]]
  ) {
    const growth = ((p.rssAtEnd / p.rssAt500) - 1) * 100;
    row(`${label}: charts per second`, `${(p.count / p.seconds).toFixed(0)} (goal ≥ 100)`);
    row(
      `${label}: RSS at chart 500 → ${p.count}`,
      `${(p.rssAt500 / 1e6).toFixed(0)} → ${(p.rssAtEnd / 1e6).toFixed(0)} MB (${
        growth.toFixed(1)
      }%, goal within 5%)`,
    );
  }
}

// 5. HTTP API latency over a million tracks, beside the bare HTTP round trip.
if (section(5)) {
  console.log("\n== HTTP API over 1,000,000 tracks (500,000 files, 300 models), sequential requests ==");
  const r = (await benchScript("api.ts", [])).json;
  const ms = (x: { p50: number; p95: number }) => `p50 ${x.p50.toFixed(1)} ms, p95 ${x.p95.toFixed(1)} ms`;
  row("GET /health (baseline: the round trip)", ms(r.health));
  row("GET /api/tracks?model=M (1,000 rows)", `${ms(r.byModel)} (goal p50 ≤ 50 ms)`);
  row("POST /api/query: per-model daily trend", `${ms(r.trend)} (goal p50 ≤ 50 ms)`);
}

// 6. A 10,000-file backlog through `lta serve --once` under a 256 MB budget.
// Both ways of reading files (parseIsolation): in a child process, and in the service itself.
for (const isolation of section(6) ? ["process", "thread"] : []) {
  const files = Number(args.backlog);
  console.log(
    `\n== backlog of ${files} typical files through lta serve --once, budget 256 MB, parseIsolation ${isolation} ==`,
  );
  const r =
    (await benchScript("backlog.ts", ["--files", String(files), "--budget", "256", "--isolation", isolation]))
      .json;
  row(
    "files loaded / seconds",
    `${r.loaded} / ${r.seconds.toFixed(0)} s (${(r.loaded / r.seconds).toFixed(0)} files/s)`,
  );
  row(
    "RSS at file 1,000 → last file",
    `${(r.rssAt1000 / 1e6).toFixed(0)} → ${(r.rssAtLast / 1e6).toFixed(0)} MB (${
      (((r.rssAtLast / r.rssAt1000) - 1) * 100).toFixed(1)
    }%, goal within 5%)`,
  );
  // One sample lands anywhere on the working set's sawtooth (files appended since the last checkpoint);
  // the median over 100 files reads the level under it.
  row(
    "median RSS over files 901–1,000 → the last 100",
    `${(r.medianAt1000 / 1e6).toFixed(0)} → ${(r.medianAtLast / 1e6).toFixed(0)} MB (${
      (((r.medianAtLast / r.medianAt1000) - 1) * 100).toFixed(1)
    }%, goal within 5%)`,
  );
  row(
    "peak RSS, service and its parse process",
    `${(r.peak / 1e6).toFixed(0)} MB (goal ≤ 256 MB; service alone ${(r.servicePeak / 1e6).toFixed(0)}, ` +
      `parse process ${(r.childPeak / 1e6).toFixed(0)})`,
  );
  row("recycles (exit 75, restarted)", `${r.recycles}`);
}

// 7. Crash drill: `lta serve --once` killed with SIGKILL at random moments, restarted, run to the end.
if (section(7)) {
  const files = Number(args["crash-files"]);
  const rounds = Number(args["crash-rounds"]);
  console.log(`\n== crash drill: ${rounds} rounds of kill -9 over ${files} files, then a clean run ==`);
  const started = performance.now();
  const report = await crashDrill(files, rounds);
  row("rounds killed mid-run", `${report.killed} of ${report.rounds}`);
  row(
    "ledger rows / distinct hashes / files",
    `${report.ledgerRows} / ${report.distinctHashes} / ${report.files}`,
  );
  row("files whose points differ from the generator's count", `${report.pointMismatches.length}`);
  row("drill time", `${((performance.now() - started) / 1000).toFixed(1)} s`);
}

// 8. docs/scaling.md: what one service sustains and what history costs (files/s, bytes per track, nightly work).
if (section(8)) {
  console.log("\n== scaling: 3,000 typical files, then the nightly work over 300,000 synthetic tracks ==");
  const r = (await benchScript("scaling.ts", ["--files", "3000", "--tracks", "300000"])).json;
  const kb = (bytes: number) => (bytes / r.tracks / 1024).toFixed(1);
  row(
    "lta serve --once: files/s (per day at full load)",
    `${(r.files / r.serveSeconds).toFixed(0)} (${
      ((r.files / r.serveSeconds) * 86_400 / 1e6).toFixed(1)
    } million), peak RSS ${r.servePeakMb.toFixed(0)} MB`,
  );
  row(
    "DuckDB bytes per track (with its points)",
    `${kb(r.dbBytes)} KB → ${(r.dbBytes / r.tracks / 1000).toFixed(1)} GB/million`,
  );
  row("Parquet bytes per track / export time", `${kb(r.lakeBytes)} KB, ${r.exportSeconds.toFixed(1)} s`);
  row(`nightly SPC over ${r.bigTracks} tracks, 300 models`, `${r.spcSeconds.toFixed(0)} s`);
  row(
    "full Parquet export of those tracks",
    `${r.bigExportSeconds.toFixed(0)} s, ${(r.bigLakeBytes / 1e6).toFixed(0)} MB`,
  );
  row("daily trend per model over the lake", `${r.lakeQueryMs.toFixed(0)} ms`);
}

// 9. A 1,000,000-row .xlsx (4 numeric columns) into DuckDB, beside exceljs's streaming reader and pandas.
if (section(9)) {
  console.log("\n== one 1,000,000-row .xlsx (System B, 4 numeric columns): lta ingest vs readers alone ==");
  const { writeBigXlsx } = await import("./big_xlsx.ts");
  const dir = join(root, "big");
  await Deno.mkdir(dir, { recursive: true });
  const file = join(dir, "9100_1_TA_Test Data_3-14-2024_10-00 AM.xlsx");
  await writeBigXlsx(file, 1_000_000);
  let ltaRate = 0;
  for (const isolation of ["process", "thread"]) {
    const lta = await measure(Deno.execPath(), [
      "run",
      "--allow-all",
      "--v8-flags=--max-semi-space-size=2,--expose-gc",
      MAIN,
      "ingest",
      dir,
      "--db",
      join(root, `big-${isolation}.duckdb`),
    ], { NO_COLOR: "1", LTA_PARSE_ISOLATION: isolation, ...TASK_ENV });
    const rows = Number(/(\d+) rows/.exec(lta.text)?.[1] ?? 0);
    const rate = rows / lta.seconds;
    if (isolation === "process") ltaRate = rate;
    row(
      `lta ingest (read, load, analyse), whole command, parseIsolation ${isolation}`,
      `${(rate / 1000).toFixed(0)}k rows/s, peak RSS ${
        lta.peakMb.toFixed(0)
      } MB (goals ≥ 250k rows/s, ≤ 300 MB)`,
    );
  }
  const exceljs = await benchScript("exceljs_read.ts", [file]);
  const e = exceljs.json;
  row(
    "exceljs stock streaming reader, rows only (baseline)",
    `${(e.rows / exceljs.seconds / 1000).toFixed(0)}k rows/s, peak RSS ${exceljs.peakMb.toFixed(0)} MB`,
  );
  row("ratio lta / exceljs", `${(ltaRate / (e.rows / exceljs.seconds)).toFixed(2)}× the rows/s`);
  try {
    const py = await measure("/usr/bin/python3", [
      "-c",
      `import pandas as pd; df = pd.read_excel(${
        JSON.stringify(file)
      }, sheet_name="Lin Error", header=None); print(len(df))`,
    ]);
    const n = Number(py.text.trim().split("\n").at(-1));
    row(
      "pandas read_excel (openpyxl), rows only (baseline)",
      `${(n / py.seconds / 1000).toFixed(0)}k rows/s, peak RSS ${py.peakMb.toFixed(0)} MB`,
    );
    row("ratio lta / pandas", `${(ltaRate / (n / py.seconds)).toFixed(2)}× the rows/s`);
  } catch (err) {
    row(
      "pandas baseline",
      `skipped: ${(err as Error).message.split("\n")[0]} (apt-get install python3-pandas python3-openpyxl)`,
    );
  }
}

// 10. A burst: 2,000 typical files and one 1,000,000-row .xlsx through `lta serve --once`, budget 256 MB.
for (const isolation of section(10) ? ["process", "thread"] : []) {
  console.log(
    `\n== burst: 2,000 typical files + one 1,000,000-row .xlsx, lta serve --once, budget 256 MB, parseIsolation ${isolation} ==`,
  );
  const r = (await benchScript("backlog.ts", [
    "--files",
    "2000",
    "--budget",
    "256",
    "--big-rows",
    "1000000",
    "--isolation",
    isolation,
  ])).json;
  row(
    "files loaded / ledger rows / distinct hashes",
    `${r.loaded} of ${r.files} / ${r.ledger.rows} / ${r.ledger.hashes}`,
  );
  row("RSS peak (sampled every 50 ms)", `${(r.peak / 1e6).toFixed(0)} MB (goal ≤ 282 MB)`);
  row("seconds", `${r.seconds.toFixed(0)}`);
}

// 11. Ingest while 200 clients read the API, against ingest alone (goal ≥ 0.8×).
if (section(11)) {
  console.log(
    "\n== 600 typical files through lta serve, alone and under 200 concurrent API readers (2 rounds) ==",
  );
  const r = (await benchScript("readers.ts", ["--files", "600"])).json;
  row("ingest alone", `${r.solo.toFixed(0)} files/s`);
  row("ingest with 200 readers", `${r.withReaders.toFixed(0)} files/s (${r.ratio.toFixed(2)}×, goal ≥ 0.8×)`);
  row("readers' answers by status", JSON.stringify(r.statuses));
  row("server errors (500) logged", r.errors.length ? r.errors.join(" | ") : "none");
  console.log("\n== the same, the 200 clients loading the workbench's pages ==");
  const p = (await benchScript("readers.ts", ["--files", "600", "--pages"])).json;
  row("ingest alone", `${p.solo.toFixed(0)} files/s`);
  row(
    "ingest with 200 page loaders",
    `${p.withReaders.toFixed(0)} files/s (${p.ratio.toFixed(2)}×, goal ≥ 0.8×)`,
  );
  row("page loads by status", JSON.stringify(p.statuses));
  row("server errors (500) logged", p.errors.length ? p.errors.join(" | ") : "none");
}

// 12. The workbench pages over a million tracks: server time per page, beside the bare round trip.
if (section(12)) {
  console.log(
    "\n== workbench pages over 1,000,000 tracks (500,000 files, 300 models), sequential requests ==",
  );
  const r = (await benchScript("pages.ts", [])).json;
  type Times = { p50: number; p95: number };
  const ms = (t: Times) => `p50 ${t.p50.toFixed(1)}, p95 ${t.p95.toFixed(1)} ms`;
  for (const [page, t] of Object.entries(r.pages as Record<string, { warm: Times; cold: Times }>)) {
    const goal = page === "health" ? " (baseline)" : t.warm.p95 > 150 ? " (goal p95 ≤ 150 ms: MISSED)" : "";
    row(`GET ${page}: warm | cold`, `${ms(t.warm)} | ${ms(t.cold)}${goal}`);
  }
}

await Deno.remove(root, { recursive: true });
