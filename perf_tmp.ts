import { Database } from "./src/db/database.ts";
import { syntheticTracks } from "./bench/_synthetic.ts";
import { addDays } from "./src/days.ts";
import {
  dailyPassRate,
  dashboardCards,
  dataAsOf,
  failurePareto,
  modelSigns,
} from "./src/db/dashboard_reads.ts";
import { capability } from "./src/analyze/capability.ts";
import { unitFinalTests, unitTracks } from "./src/db/unit_reads.ts";
import { compareCounts, disagreements } from "./src/db/compare_reads.ts";
import { modelSummaries } from "./src/db/history_reads.ts";
import { modelFailures, modelScorecard, modelTrackIds } from "./src/db/model_reads.ts";
import { modelTrendSvgs } from "./src/render/model_trends.ts";
import { driftChartSvg, imrChartSvg } from "./src/render/spc_charts.ts";
const path = "/tmp/syn/lta.duckdb";
const today = new Date().toISOString().slice(0, 10);
try {
  Deno.statSync(path);
} catch {
  await syntheticTracks(path, 1_000_000, 300, addDays(today, -350));
}
const db = await Database.open(path);
const f = { from: addDays(today, -29), to: today, system: null };
const f365 = { from: addDays(today, -364), to: today, system: null };
const only = Deno.args;
const t = async (name: string, work: () => Promise<unknown>) => {
  if (only.length && !only.some((o) => name.includes(o))) return;
  await work();
  const s = performance.now();
  for (let i = 0; i < 3; i++) await work();
  console.log(name.padEnd(30), ((performance.now() - s) / 3).toFixed(1), "ms");
};
await t("dataAsOf", () => dataAsOf(db));
await t("cards", () => dashboardCards(db, f, today));
await t("daily 90", () => dailyPassRate(db, { ...f, from: addDays(today, -89) }));
await t("signs", () => modelSigns(db, f, { from: addDays(today, -59), to: addDays(today, -30) }));
await t(
  "capability 30",
  () => capability(db, { since: f.from, until: today, minN: 30, metric: "sigma_gradient" }),
);
await t(
  "capability 365",
  () => capability(db, { since: f365.from, until: today, minN: 30, metric: "sigma_gradient" }),
);
await t("pareto", () => failurePareto(db, f));
await t("unitTracks", () => unitTracks(db, "M7", "7"));
await t("unitFinalTests", () => unitFinalTests(db, "M7", "7"));
await t("compare", () => compareCounts(db, f.from, today));
await t("compare rows", () => disagreements(db, f.from, today, 100));
await t("models", () => modelSummaries(db));
await t("scorecard", () => modelScorecard(db, "M7", f, null));
await t("trackIds", () => modelTrackIds(db, "M7"));
await t("failures", () => modelFailures(db, "M7", f, null, 20));
await t("capability model", () => capability(db, { model: "M7", since: f.from, until: today, minN: 30 }));
await t("trends", () => modelTrendSvgs(db, { model: "M7", from: f.from, to: today, label: "x" }));
await t("imr", () => imrChartSvg(db, "M7", "sigma_gradient"));
await t("drift", () => driftChartSvg(db, "M7", 30));
db.close();
const { dataVersion } = await import("./src/db/history_reads.ts");
const db2 = await Database.open(path);
const s = performance.now();
for (let i = 0; i < 5; i++) await dataVersion(db2);
console.log("dataVersion", ((performance.now() - s) / 5).toFixed(1), await dataVersion(db2));
db2.close();
