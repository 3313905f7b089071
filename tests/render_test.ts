/** Charts, the nightly report (in real headless Chromium) and the Excel export. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import XLSX from "xlsx";
import { ingestCommand } from "../src/cli/commands.ts";
import { Database } from "../src/db/database.ts";
import { exportExcel } from "../src/render/excel.ts";
import { buildReport } from "../src/render/report.ts";
import { findFile, trackChartData, trackChartSvg } from "../src/render/track_chart.ts";
import { openInChromium } from "./_chromium.ts";
import { generatedFixtures, pdfText, workspace } from "./_helpers.ts";

const GOLDEN = new URL("./golden/track_fail.svg", import.meta.url).pathname;

async function loadedFixtures() {
  const { dir, manifest } = await generatedFixtures();
  const { root, config } = await workspace();
  await ingestCommand(manifest.filter((m) => m.system).map((m) => join(dir, m.file)), config);
  return { root, config, manifest, db: await Database.open(config.db) };
}

Deno.test("a track chart is byte-identical across runs and shows both limit lines and every fail point", async () => {
  const { db, manifest } = await loadedFixtures();
  try {
    const failing = manifest.find((m) => m.model === "8340-1" && m.tracks?.[0].intent === "FAIL")!;
    const file = (await findFile(db, failing.file))!;
    const data = (await trackChartData(db, file.fileId, "TRK1"))!;
    const svg = await trackChartSvg(data);
    equal(
      await trackChartSvg((await trackChartData(db, file.fileId, "TRK1"))!),
      svg,
      "same process, same bytes",
    );
    if (Deno.env.get("LTA_UPDATE_GOLDEN")) await Deno.writeTextFile(GOLDEN, svg);
    equal(
      svg,
      await Deno.readTextFile(GOLDEN),
      "same bytes as the committed golden file (LTA_UPDATE_GOLDEN=1 rewrites it)",
    );

    const group = (name: string) => svg.match(new RegExp(`role-mark ${name}_marks"[^]*?</g>`))?.[0] ?? "";
    for (const edge of ["lo", "hi"]) ok(group(`limit_${edge}`).includes("<path"), `the ${edge} limit line`);
    ok(group("band").includes("<path"), "the spec band is shaded");
    const failPoints = Number(
      await db.value("SELECT fail_points FROM tracks WHERE file_id = $1", [file.fileId]),
    );
    ok(failPoints > 10);
    equal(
      (group("fail").match(/<path/g) ?? []).length,
      failPoints,
      "one circle per point outside the limits",
    );
    ok(svg.includes("8340-1 · SN 23 · TRK1 · FAIL"), "title names model, serial, track and verdict");
    for (const entry of ["after offset", "before offset", "untrimmed", "limits", "outside limits"]) {
      ok(svg.includes(`>${entry}</text>`), `legend: ${entry}`);
    }
    ok(
      svg.includes(">position (degrees)</text>") && svg.includes(">error (V)</text>"),
      "axes name their units",
    );
    ok(svg.includes('fill="#c62828"'), "points outside the limits in red");

    // One absurd point (a contact bounce) is marked at the scale's edge instead of squashing the plot.
    const [spike] = await db.rows(
      `SELECT stage, row_index FROM points WHERE file_id = $1 AND track_id = 'TRK1' AND stage = 'trimmed'
       ORDER BY row_index LIMIT 1 OFFSET 40`,
      [file.fileId],
    );
    await db.exec("UPDATE points SET error = 50 WHERE file_id = $1 AND stage = $2 AND row_index = $3", [
      file.fileId,
      spike.stage as string,
      spike.row_index as number,
    ]);
    const spiked = await trackChartSvg((await trackChartData(db, file.fileId, "TRK1"))!);
    ok(spiked.includes("· 1 beyond the scale"), "the subtitle counts the clipped point");
    const axis = spiked.match(
      /Y-axis titled 'error \(V\)' for a linear scale with values from (\S+) to ([^"]+)"/,
    )!;
    ok(Number(axis[2]) < 1, `the scale does not reach the spike: ${axis[0]}`);
  } finally {
    db.close();
  }
});

Deno.test("the nightly report opens in headless Chromium without console errors, and its page is not blank", async () => {
  const { db, config } = await loadedFixtures();
  try {
    const result = await buildReport(db, { date: "2024-03-14", reportsDir: config.reportsDir });
    ok(result.tracks >= 20 && result.trackCharts >= 3, JSON.stringify(result));
    const html = await Deno.readTextFile(result.index);
    const links = [...html.matchAll(/href="(tracks\/[^"]+)"/g)].map((m) => decodeURIComponent(m[1]));
    equal(links.length, result.trackCharts);
    for (const link of links) ok((await Deno.stat(join(result.dir, link))).size > 1000, link);
    // The PDF holds the same sections, its text readable (an embedded font with −, σ and →).
    const pdf = await Deno.readFile(result.pdf);
    const text = await pdfText(pdf);
    for (
      const part of [
        "Laser-trim report for 2024-03-14",
        "Summary per model",
        "Failing tracks",
        "Capability over the last 30 days",
        "Open SPC and drift alarms",
        "8340-1",
        "Sigma gradient",
      ]
    ) {
      ok(text.includes(part), `the PDF has ${part}`);
    }
    ok(text.includes("mean − 3σ"), "chart legends keep their minus and sigma signs");
    ok(html.includes('href="report.pdf"'), "the page links its PDF");
    const page = await openInChromium(`file://${result.index}`);
    deepEqual(page.console, [], "no console messages");
    ok(page.inked > 0.05, `screenshot has content (${(page.inked * 100).toFixed(1)}% inked)`);

    // The check itself can fail: a page with a script error is caught.
    const bad = join(result.dir, "bad.html");
    await Deno.writeTextFile(bad, "<!doctype html><p>x</p><script>notDefined()</script>");
    ok((await openInChromium(`file://${bad}`, "400,300")).console.some((l) => l.includes("notDefined")));
  } finally {
    db.close();
  }
});

Deno.test("the Excel export has a summary and a track sheet, frozen headers, and stores formula-like text as text", async () => {
  const { db, root } = await loadedFixtures();
  try {
    await db.conn.run("UPDATE files SET serial = '=HYPERLINK(\"http://x\")' WHERE file_id = 1");
    const out = join(root, "export.xlsx");
    const rows = await exportExcel(db, { out, since: "2024-01-01", capabilityMinN: 5 });
    equal(rows, Number(await db.value("SELECT count(*) FROM tracks")));
    const wb = XLSX.read(await Deno.readFile(out), { cellFormula: true, cellStyles: true });
    deepEqual(wb.SheetNames, ["Summary", "Tracks", "Alarms", "Capability"]);
    const tracks = wb.Sheets.Tracks;
    const header = XLSX.utils.sheet_to_json<string[]>(tracks, { header: 1 })[0];
    equal(header[6], "status");
    const serialCol = header.indexOf("serial");
    const injected = Object.entries(tracks).find(([ref, c]) =>
      !ref.startsWith("!") && XLSX.utils.decode_cell(ref).c === serialCol &&
      String((c as XLSX.CellObject).v).startsWith("=")
    );
    if (!injected) throw new Error("the formula-like serial is not in the export");
    const cell = injected[1] as XLSX.CellObject;
    deepEqual([cell.t, cell.f], ["s", undefined], "as a string, never a formula");
    const xml = new TextDecoder().decode(await Deno.readFile(out));
    ok(xml.length > 0);
    const filtered = await exportExcel(db, {
      out: join(root, "model.xlsx"),
      model: "8340-1",
      capabilityMinN: 5,
    });
    equal(filtered, Number(await db.value("SELECT count(*) FROM v_tracks WHERE model = '8340-1'")));
  } finally {
    db.close();
  }
});

Deno.test("the Excel export writes test dates as date cells, numbers with formats, and prints landscape on one page's width", async () => {
  const { db, root } = await loadedFixtures();
  try {
    const out = join(root, "dates.xlsx");
    await exportExcel(db, { out, capabilityMinN: 5 });
    const { default: ExcelJS } = await import("exceljs");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out);
    const sheet = wb.getWorksheet("Tracks")!;
    const header = (sheet.getRow(1).values as unknown[]).map(String);
    const dateCol = header.indexOf("test date");
    const idCol = header.indexOf("file id");
    const trackCol = header.indexOf("track");
    const sigmaCol = header.indexOf("sigma gradient");
    const first = sheet.getRow(2);
    const written = first.getCell(dateCol).value;
    ok(written instanceof Date, `a date cell, got ${typeof written}`);
    const expected = await db.value(
      "SELECT strftime(test_date, '%Y-%m-%d %H:%M') FROM v_tracks WHERE file_id = $1 AND track_id = $2",
      [Number(first.getCell(idCol).value), String(first.getCell(trackCol).value)],
    );
    equal(
      (written as Date).toISOString().slice(0, 16).replace("T", " "),
      expected,
      "the station's wall-clock time",
    );
    equal(first.getCell(dateCol).numFmt, "yyyy-mm-dd hh:mm");
    equal(first.getCell(sigmaCol).numFmt, "0.000000");
    equal(typeof first.getCell(sigmaCol).value, "number");
    for (const name of ["Summary", "Tracks"]) {
      const setup = wb.getWorksheet(name)!.pageSetup;
      deepEqual([setup.orientation, setup.fitToPage, setup.fitToWidth, setup.fitToHeight], [
        "landscape",
        true,
        1,
        0,
      ]);
    }
    ok(wb.getWorksheet("Summary")!.getRow(2).getCell(6).value instanceof Date, "first test is a date too");
  } finally {
    db.close();
  }
});

Deno.test("the Excel export's Alarms and Capability sheets cover the range --since to --until, both days included", async () => {
  const { db, root } = await loadedFixtures();
  try {
    const [row] = await db.rows(
      "SELECT strftime(test_date::DATE, '%Y-%m-%d') AS day FROM v_tracks GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    );
    const day = String(row.day);
    const alarm = (id: number, at: string, acknowledged: boolean) =>
      db.exec(
        `INSERT INTO spc_alarms (alarm_id, model, metric, rule, description, first_at, last_at, first_file_id,
           last_file_id, file_ids, points, created_at, acknowledged_by, acknowledged_at)
         VALUES ($1, '8340-1', 'sigma_gradient', 'nelson_1', 'one point beyond 3 sigma', $2::TIMESTAMP,
                 $2::TIMESTAMP, 1, 1, [1], 1, now(), $3, $4::TIMESTAMP)`,
        [id, at, acknowledged ? "qe" : null, acknowledged ? at : null],
      );
    await alarm(1, `${day} 23:59:00`, false); // the last minute of the range
    await alarm(2, "2020-01-01 08:00:00", true); // long before it
    const out = join(root, "range.xlsx");
    const tracks = await exportExcel(db, { out, since: day, until: day, capabilityMinN: 5 });
    equal(
      tracks,
      Number(await db.value("SELECT count(*) FROM v_tracks WHERE test_date::DATE = $1::DATE", [day])),
    );
    const { default: ExcelJS } = await import("exceljs");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out);
    const alarms = wb.getWorksheet("Alarms")!;
    equal(alarms.rowCount, 2, "the header and the alarm inside the range");
    equal(alarms.getRow(2).getCell(1).value, 1);
    ok(alarms.getRow(2).getCell(7).value instanceof Date, "first point is a date cell");
    equal(
      (alarms.getRow(2).getCell(1).fill as { fgColor?: { argb?: string } }).fgColor?.argb,
      "FFFFE0B2",
      "open",
    );
    const capability = wb.getWorksheet("Capability")!;
    const header = (capability.getRow(1).values as unknown[]).map(String);
    ok(header.includes("Cpk") && header.includes("rating"), header.join(","));
    const expected = Number(
      await db.value(
        "SELECT count(DISTINCT model) * 2 FROM v_tracks WHERE test_date::DATE = $1::DATE AND overall_status <> 'ERROR'",
        [day],
      ),
    );
    equal(capability.rowCount - 1, expected, "one row per model and metric of that day");
    equal(capability.pageSetup.orientation, "landscape");
  } finally {
    db.close();
  }
});
