import { Database } from "./src/db/database.ts";
const db = await Database.open("/tmp/syn/lta.duckdb", { externalAccess: true });
await db.conn.run("PRAGMA enable_profiling = 'json'");
await db.conn.run("PRAGMA profiling_output = '/tmp/x/prof.json'");
const { capability } = await import("./src/analyze/capability.ts");
await capability(db, { since: "2026-11-08", until: "2026-12-07", minN: 30, metric: "sigma_gradient" });
db.close();
const p = JSON.parse(Deno.readTextFileSync("/tmp/x/prof.json"));
// deno-lint-ignore no-explicit-any
const walk = (n: any, d = 0) => {
  if (n.operator_timing > 0.003 || d < 2) {
    console.log(
      " ".repeat(d),
      n.operator_name ?? n.operator_type,
      n.operator_timing?.toFixed(3),
      n.operator_cardinality,
      JSON.stringify(n.extra_info).slice(0, 150),
    );
  }
  for (const c of n.children ?? []) walk(c, d + 1);
};
console.log("total", p.latency);
walk(p);
