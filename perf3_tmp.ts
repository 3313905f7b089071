import { Database } from "./src/db/database.ts";
const db = await Database.open("/tmp/syn/lta.duckdb");
await db.exec(await Deno.readTextFile("src/db/final_test_views.sql"));
const t = async (name: string, sql: string, p: unknown[] = []) => {
  await db.rows(sql, p as never);
  const s = performance.now();
  for (let i = 0; i < 3; i++) await db.rows(sql, p as never);
  console.log(name.padEnd(30), ((performance.now() - s) / 3).toFixed(1), "ms");
};
await t(
  "view by keys",
  `SELECT * FROM v_trim_vs_final WHERE serial_key = lta_serial_key($1) AND model_key = lta_model_key($2)`,
  ["SN7", "M7"],
);
await t("view by key consts", `SELECT * FROM v_trim_vs_final WHERE serial_key = '7' AND model_key = 'm7'`);
await t("view all", `SELECT count(*) FROM v_trim_vs_final`);
await t("view range", `SELECT count(*) FROM v_trim_vs_final WHERE final_date >= DATE '2026-11-08'`);
db.close();
