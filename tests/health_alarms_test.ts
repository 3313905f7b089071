/**
 * Silence and health alarms on a scripted clock, and the station identity they rest on: which station
 * sent a file (configured subfolders and patterns, else the first subfolder), silence counted in working
 * hours only, one alarm per episode that clears when the condition ends.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { buildConfig } from "../src/config/config.ts";
import type { Database } from "../src/db/database.ts";
import { stationOf } from "../src/ingest/station.ts";
import { HealthWatch } from "../src/notify/health.ts";
import { acknowledgeAlarm, listAlarms, resolveAlarm } from "../src/actions/alarms.ts";
import { alarmFilterOf } from "../src/actions/alarm_filter.ts";
import { ingestCommand } from "../src/cli/commands.ts";
import { withDb } from "./_spc_seed.ts";
import ExcelJS from "exceljs";
import { excelExport, reportFor } from "../src/actions/history.ts";
import { quarantinedFiles } from "../src/db/unit_reads.ts";
import { knownSystems, modelSigns, stationComparison } from "../src/db/dashboard_reads.ts";
import { generatedFixtures, workspace } from "./_helpers.ts";

Deno.test("a file's station comes from the configured map, else its first inbox subfolder", async () => {
  const map = {
    "line1/lt3": { station: "LT-3", line: "Line 1" },
    "re:^B7": { station: "LT-7" },
  };
  const inbox = "/plant/inbox";
  deepEqual(stationOf("/plant/inbox/line1/lt3/2026/x.xls", inbox, map), { station: "LT-3", line: "Line 1" });
  deepEqual(stationOf("/plant/inbox/line2/B7_123.xls", inbox, map), { station: "LT-7", line: null });
  deepEqual(stationOf("/plant/inbox/line2/a/x.xls", inbox, map), { station: "line2", line: null });
  deepEqual(stationOf("/plant/inbox/x.xls", inbox, map), { station: null, line: null });

  const { dir, manifest } = await generatedFixtures();
  const { inbox: folder, config } = await workspace();
  const all = manifest.filter((m) => !m.quarantine && !m.finalTest && m.model);
  const trims = [all[0], all.find((m) => m.model !== all[0].model)!];
  const paths = [join(folder, "line1", "lt3", trims[0].file), join(folder, "bench-4", trims[1].file)];
  for (const [i, p] of paths.entries()) {
    await Deno.mkdir(join(p, ".."), { recursive: true });
    await Deno.copyFile(join(dir, trims[i].file), p);
  }
  await ingestCommand(paths, { ...config, stations: map });
  await withOpen(config.db, async (db) => {
    const rows = await db.rows("SELECT station, line FROM files ORDER BY line NULLS LAST");
    deepEqual(rows.map((r) => [r.station, r.line]), [["LT-3", "Line 1"], ["bench-4", null]]);
    // The pages' filter offers the stations beside the layouts, and narrows to one.
    const offered = (await knownSystems(db)).map((s) => s.system);
    ok(offered.includes("station:LT-3") && offered.includes("station:bench-4"), offered.join(", "));
    const signs = (system: string | null) =>
      modelSigns(db, { from: null, to: "2099-12-31", system }, null).then((r) => r.map((m) => m.model));
    deepEqual(await signs("station:LT-3"), [trims[0].model], "only LT-3's model");
    deepEqual(await signs("station:bench-4"), [trims[1].model]);
    equal((await signs(null)).length, 2, "both without the filter");
    const compared = await stationComparison(db, { from: null, to: "2099-12-31", system: null });
    deepEqual(compared.map((c) => [c.station, Number(c.files), Number(c.open_alarms)]), [
      ["LT-3", 1, 0],
      ["bench-4", 1, 0],
    ]);
    // The Excel export narrows to one station's tracks the same way.
    const out = join(folder, "..", "lt3.xlsx");
    const tracks = await excelExport(db, config, out, { station: "LT-3" });
    const lt3 = Number(await db.value("SELECT count(*) FROM v_tracks WHERE station = 'LT-3'"));
    deepEqual([tracks, lt3 > 0], [lt3, true]);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    equal(workbook.getWorksheet("Tracks")!.rowCount, lt3 + 1, "the header and LT-3's tracks");
    // So does the report: its own folder, LT-3's tracks only.
    const day = String(
      await db.value("SELECT min(test_date)::DATE::VARCHAR FROM files WHERE station = 'LT-3'"),
    );
    const report = await reportFor(db, config, day, "LT-3");
    ok(report.dir.endsWith(`${day}_LT-3`), report.dir);
    const onDay = Number(
      await db.value("SELECT count(*) FROM v_tracks WHERE station = 'LT-3' AND test_date::DATE = $1::DATE", [
        day,
      ]),
    );
    deepEqual([report.tracks, onDay > 0], [onDay, true]);
    ok((await Deno.readTextFile(report.index)).includes("(station LT-3)"), "the report names its station");
    // And the quarantine list.
    await db.exec(
      `INSERT INTO files (file_id, path, file_name, sha256, size_bytes, version, status, reason_code, reason,
                          ingested_at, parser_version, station)
       VALUES (999, '/x', 'bad.xls', 'bad', 1, 1, 'quarantined', 'corrupt_file', 'cut short', now(), '1', 'bench-4')`,
    );
    deepEqual(
      [
        (await quarantinedFiles(db, 10, 0, "bench-4")).total,
        (await quarantinedFiles(db, 10, 0, "LT-3")).total,
      ],
      [1, 0],
    );
  });
});

async function withOpen(path: string, work: (db: Database) => Promise<void>) {
  const { Database } = await import("../src/db/database.ts");
  const db = await Database.open(path);
  try {
    await work(db);
  } finally {
    db.close();
  }
}

/** A loaded file from `station`, loaded at `at` (UTC). */
async function fileFrom(db: Database, station: string, at: string) {
  await db.exec(
    `INSERT INTO files (file_id, path, file_name, sha256, size_bytes, version, status, ingested_at, parser_version,
                        station)
     SELECT coalesce(max(file_id), 0) + 1, 'p', 'f' || (coalesce(max(file_id), 0) + 1), 's', 1, 1, 'loaded',
            $2::TIMESTAMP, '1', $1 FROM files`,
    [station, at],
  );
}

const silenceAlarms = (db: Database) =>
  db.rows(
    `SELECT subject, cleared_at IS NOT NULL AS cleared, last_at::VARCHAR AS last_at FROM health_alarms
     WHERE kind = 'silence' ORDER BY alarm_id`,
  );

Deno.test("a station quiet past its working hours raises one alarm, and it clears when files arrive", async () => {
  await withDb(async (db) => {
    const config = buildConfig({}, {}, {
      timeZone: "Europe/Berlin",
      silenceHours: 3,
      workingHours: { "mon-fri": "06:00-22:00", "sat-sun": "off" },
    });
    const watch = new HealthWatch(db, config, () => "ok");
    const at = (utc: string) => watch.check(new Date(utc));
    // Friday 20:00 in Berlin: LT-3's last file before the weekend.
    await fileFrom(db, "LT-3", "2026-03-06 19:00:00");
    await fileFrom(db, "LT-4", "2026-03-09 05:50:00");
    equal(await at("2026-03-06T20:30:00Z"), 0, "an hour and a half of working time");
    equal(await at("2026-03-08T12:00:00Z"), 0, "the weekend does not count: two working hours so far");
    equal(await at("2026-03-09T05:30:00Z"), 0, "Monday 06:30: two and a half");
    equal(await at("2026-03-09T06:00:00Z"), 1, "Monday 07:00: three working hours");
    equal(await at("2026-03-09T06:30:00Z"), 0, "the same silence raises nothing more");
    deepEqual(await silenceAlarms(db), [{ subject: "LT-3", cleared: false, last_at: "2026-03-09 06:30:00" }]);
    const [alarm] = await db.rows("SELECT kind, station, severity FROM v_alarms");
    deepEqual(alarm, { kind: "silence", station: "LT-3", severity: "medium" });

    await fileFrom(db, "LT-3", "2026-03-09 06:40:00");
    equal(await at("2026-03-09T06:45:00Z"), 0);
    deepEqual((await silenceAlarms(db)).map((a) => [a.subject, a.cleared]), [["LT-3", true]], "cleared");
    // Acknowledged, then resolved with what was done: two history rows, nothing overwritten.
    const id = Number(await db.value("SELECT max(alarm_id) FROM health_alarms"));
    await acknowledgeAlarm(db, { alarmId: id, cause: "operator or handling", by: "qe" });
    await resolveAlarm(db, {
      alarmId: id,
      cause: "operator or handling",
      by: "lead",
      action: "share remapped",
    });
    deepEqual(
      await db.rows(
        `SELECT action, acknowledged_by AS by, corrective_action FROM alarm_acknowledgements WHERE alarm_id = $1
         ORDER BY acknowledged_at, action`,
        [id],
      ),
      [
        { action: "acknowledge", by: "qe", corrective_action: null },
        { action: "resolve", by: "lead", corrective_action: "share remapped" },
      ],
    );
    const listed = await listAlarms(db, alarmFilterOf({ show: "resolved", station: "LT-3" }, 10, 0));
    equal(listed.rows.length, 1);
    equal(listed.rows[0][listed.columns.indexOf("corrective_action")], "share remapped");
    equal((await listAlarms(db, alarmFilterOf({}, 10, 0))).rows.length, 0, "nothing open");
    // A new silence later is a new alarm.
    equal(await at("2026-03-09T09:00:00Z"), 1, "LT-4 silent since 06:50 in Berlin, three hours at 10:00");
    ok((await silenceAlarms(db)).some((a) => a.subject === "LT-4" && !a.cleared));
  });
});

Deno.test("health alarms: a failed nightly job, a quarantine burst, memory critical too long", async () => {
  await withDb(async (db) => {
    let memory = "ok";
    const config = buildConfig({}, {}, {
      timeZone: "UTC",
      silenceHours: 0,
      quarantineRateFiles: 10,
      quarantineRatePct: 30,
      memoryAlarmMinutes: 10,
      nightlyCron: "0 2 * * *",
    });
    const watch = new HealthWatch(db, config, () => memory);
    await db.exec("INSERT INTO lta_meta VALUES ('first_started_at', '2026-03-01 00:00:00')");
    await db.exec(
      `INSERT INTO schedule_runs VALUES ('spc', '2026-03-02 02:00:00', '2026-03-02 02:00:01', '2026-03-02 02:00:05',
                                         'failed', 'Out of Memory', 1)`,
    );
    for (let i = 0; i < 10; i++) await fileFrom(db, "LT-3", `2026-03-02 0${i}:00:00`);
    await db.exec("UPDATE files SET status = 'quarantined' WHERE file_id > 6");
    memory = "critical";
    await watch.check(new Date("2026-03-02T05:00:00Z"));
    memory = "critical";
    await watch.check(new Date("2026-03-02T05:11:00Z"));
    const open = await db.rows(
      "SELECT kind, subject FROM health_alarms WHERE cleared_at IS NULL ORDER BY kind, subject",
    );
    deepEqual(open.map((a) => `${a.kind}/${a.subject}`), [
      "memory/service",
      "nightly_job/spc",
      "quarantine_rate/inbox",
    ]);
    // The next night's run never starts: a missed run, an hour past its time.
    equal(await watch.check(new Date("2026-03-03T03:30:00Z")), 1);
    ok(
      (await db.rows("SELECT 1 FROM health_alarms WHERE subject = 'schedule' AND cleared_at IS NULL")).length,
    );
    memory = "ok";
    await db.exec("UPDATE files SET status = 'loaded'");
    await watch.check(new Date("2026-03-03T03:31:00Z"));
    const still = await db.rows("SELECT kind FROM health_alarms WHERE cleared_at IS NULL ORDER BY kind");
    deepEqual(still.map((a) => a.kind), ["nightly_job", "nightly_job"], "memory and quarantine cleared");
  });
});
