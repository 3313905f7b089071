/**
 * The engineers' pages on a running service: search by serial, model or file name, a unit's story with its
 * Final Test and charts, a file's ledger row, friendly 404s, and the walk search → unit → chart in
 * Chromium with no console error and no failed request.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { generatedFixtures } from "./_helpers.ts";
import { inChromium } from "./_chromium.ts";
import { serviceFolder, serviceRows, startService } from "./_service_process.ts";
import { buildConfig } from "../src/config/config.ts";
import { Database, SCHEMA_VERSION } from "../src/db/database.ts";
import { ingestCommand } from "../src/cli/commands.ts";

Deno.test("search finds a unit, its page tells its story with the Final Test and charts, and Chromium walks it", async () => {
  const { dir, manifest } = await generatedFixtures();
  const final = manifest.find((m) => m.finalTest?.trimFile)!;
  const trim = manifest.find((m) => m.file === final.finalTest!.trimFile)!;
  const bad = manifest.find((m) => m.quarantine === "unknown_layout")!;
  const others = manifest.filter((m) => m.system && m !== trim).slice(0, 4);
  const folder = await serviceFolder();
  for (const m of [final, trim, bad, ...others]) {
    await Deno.copyFile(join(dir, m.file), join(folder.inbox, m.file));
  }
  const service = await startService(folder.configFile, folder.db);
  const page = (path: string) =>
    fetch(`${service.base}${path}`).then(async (r) => ({ status: r.status, html: await r.text() }));
  try {
    const end = Date.now() + 30_000;
    while (Date.now() < end && (await serviceRows(service.base, "SELECT * FROM files")).length < 7) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const unitHref = `/units/${encodeURIComponent(trim.model!)}/${encodeURIComponent(trim.serial!)}`;
    const found = await page(`/search?q=${encodeURIComponent(trim.serial!)}`);
    equal(found.status, 200);
    ok(found.html.includes(`href="${unitHref}"`), "the unit is listed with a link to its page");

    const unit = await page(unitHref);
    equal(unit.status, 200);
    ok(unit.html.includes(trim.file) && unit.html.includes(final.file), "the trim file and its Final Test");
    const charts = [...unit.html.matchAll(/<img src="([^"]+chart\.svg)"/g)].map((m) => m[1]);
    equal(charts.length, trim.tracks!.length, "one chart per track");

    const quarantined = await page(`/search?q=${encodeURIComponent(bad.file.slice(0, 12))}`);
    ok(quarantined.html.includes("Quarantined files") && quarantined.html.includes("unknown_layout"));
    const [{ file_id: badId }] = await serviceRows(
      service.base,
      `SELECT file_id FROM files WHERE status = 'quarantined'`,
    );
    const badPage = await page(`/files/${badId}`);
    equal(badPage.status, 200);
    ok(badPage.html.includes("unknown_layout") && badPage.html.includes("quarantine message"));
    // Each file's source can be downloaded while a copy with its content is kept (here: in quarantine).
    ok(badPage.html.includes(`href="/files/${badId}/source"`), "a download link");
    const source = await fetch(`${service.base}/files/${badId}/source`);
    deepEqual(new Uint8Array(await source.arrayBuffer()), await Deno.readFile(join(dir, bad.file)));
    ok(source.headers.get("content-disposition")!.includes(`filename="${bad.file}"`));
    for (const missing of ["/units/no-such/unit", "/files/999999", "/files/abc"]) {
      const r = await page(missing);
      equal(r.status, 404, missing);
      ok(r.html.includes("Back to the dashboard"), `${missing}: a page, not a bare error`);
    }

    const problems = await inChromium(async (tab) => {
      await tab.goto(`${service.base}/`);
      await tab.fill("input[name=q]", trim.serial!);
      await tab.press("input[name=q]", "Enter");
      await tab.waitForURL(/\/search\?q=/);
      await tab.click(`a.unit[href="${unitHref}"]`);
      await tab.waitForURL(new RegExp(unitHref.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "$"));
      ok((await tab.textContent("h1"))!.includes(trim.serial!));
      await tab.waitForLoadState("networkidle");
      const widths = await tab.$$eval(
        "figure img",
        (imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth),
      );
      ok(widths.length === charts.length && widths.every((w) => w > 300), `charts drawn: ${widths}`);
    });
    equal(problems.join("\n"), "");
  } finally {
    equal(await service.stop(), 0, service.log().slice(-1500));
  }
});

Deno.test("with a token, a browser on another loopback address signs in once and reads the pages; the API still wants the bearer", async () => {
  const token = "plant-token-7f3c";
  const folder = await serviceFolder({ httpHost: "127.0.0.2", httpToken: token });
  const service = await startService(folder.configFile, folder.db);
  try {
    ok(service.base.startsWith("http://127.0.0.2:"), service.base);
    const api = await fetch(`${service.base}/api/files`);
    await api.body?.cancel();
    equal(api.status, 401, "no token, no data");
    const page = await fetch(`${service.base}/search?q=1`, {
      headers: { accept: "text/html" },
      redirect: "manual",
    });
    await page.body?.cancel();
    equal(page.status, 303);
    equal(page.headers.get("location"), "/login?next=%2Fsearch%3Fq%3D1");
    const wrong = await fetch(`${service.base}/login`, {
      method: "POST",
      body: new URLSearchParams({ token: "guess", next: "/" }),
      redirect: "manual",
    });
    equal(wrong.status, 401);
    ok((await wrong.text()).includes("not the service"));

    const problems = await inChromium(async (tab, context) => {
      await tab.goto(`${service.base}/search?q=10`);
      ok(tab.url().includes("/login?next="), tab.url());
      await tab.fill("input[name=token]", token);
      await tab.click("button[type=submit]");
      await tab.waitForURL(/\/search\?q=10$/);
      ok((await tab.textContent("h1"))!.includes("Search"));
      const [cookie] = await context.cookies();
      equal(cookie.httpOnly, true);
      equal(cookie.sameSite, "Strict");
      ok(!cookie.value.includes(token), "the cookie is a session id, not the token");
      // The session reads the API in this browser; the token's own header does elsewhere.
      equal((await tab.request.get(`${service.base}/api/files`)).status(), 200);
    });
    equal(problems.join("\n"), "");
    const bearer = await fetch(`${service.base}/api/files`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await bearer.body?.cancel();
    equal(bearer.status, 200);
    ok(!service.log().includes(token), "the token never reaches the log");
  } finally {
    equal(await service.stop(), 0, service.log().slice(-1500));
  }
});

Deno.test("an engineer acknowledges an alarm on /alarms with its cause; it stays acknowledged after a restart", async () => {
  const { dir, manifest } = await generatedFixtures();
  const folder = await serviceFolder();
  const trims = manifest.filter((m) => m.system).slice(0, 3);
  // History with an open alarm, written before the service holds the file.
  const config = buildConfig({}, {}, { db: folder.db, quarantineDir: folder.quarantineDir });
  await ingestCommand(trims.map((m) => join(dir, m.file)), config);
  const db = await Database.open(folder.db);
  await db.exec(
    `INSERT INTO spc_alarms (alarm_id, model, metric, rule, description, first_at, last_at, first_file_id,
       last_file_id, file_ids, points, created_at)
     SELECT 41, model, 'sigma_gradient', 'nelson_2', 'nine points in a row on one side of the centre line',
            min(test_date), max(test_date), min(file_id), max(file_id), list(file_id), 9, now()
     FROM files WHERE model = $1 GROUP BY model`,
    [trims[0].model!],
  );
  db.close();
  let service = await startService(folder.configFile, folder.db);
  try {
    const open = await (await fetch(`${service.base}/alarms`)).text();
    ok(
      open.includes("nine points in a row") && open.includes('action="/alarms/41/ack"'),
      "listed, with its form",
    );
    const gauge = `lta_alarms_open{kind="spc",model="${
      trims[0].model
    }",metric="sigma_gradient",station="",severity="medium"} 1`;
    ok((await (await fetch(`${service.base}/metrics`)).text()).includes(gauge), "monitoring sees it open");
    const problems = await inChromium(async (tab) => {
      await tab.goto(`${service.base}/alarms`);
      await tab.selectOption("form.ack select[name=cause]", "tool or trim wear");
      await tab.fill("form.ack input[name=note]", "worn nozzle on station 2");
      await tab.fill("form.ack input[name=by]", "M. Keller");
      await tab.click("form.ack button");
      await tab.waitForURL(/\/alarms\?$/);
      ok((await tab.content()).includes("No open alarms match."), "gone from the open list");
    });
    equal(problems.join("\n"), "");
    equal(await service.stop(), 0);
    service = await startService(folder.configFile, folder.db);
    const all = await (await fetch(`${service.base}/alarms?show=all`)).text();
    ok(
      all.includes("UTC by M. Keller: tool or trim wear: worn nozzle on station 2"),
      "acknowledged, after a restart",
    );
    ok(
      !(await (await fetch(`${service.base}/metrics`)).text()).includes("lta_alarms_open{"),
      "and then closed",
    );
    const evidence = await (await fetch(`${service.base}/alarms/41`)).text();
    ok(
      /M\. Keller<\/td><td>acknowledged<\/td><td>tool or trim wear<\/td><td>worn nozzle on station 2/.test(
        evidence,
      ),
      "in its history",
    );
    const again = await fetch(`${service.base}/alarms/41/ack`, {
      method: "POST",
      body: new URLSearchParams({ cause: "x", by: "" }),
    });
    equal(again.status, 400, "an acknowledgement names who made it");
    await again.body?.cancel();
  } finally {
    equal(await service.stop(), 0, service.log().slice(-1500));
  }
});

Deno.test("/quarantine lists a damaged file with its reason, and its button loads the file once it is fixed", async () => {
  const { dir, manifest } = await generatedFixtures();
  const good = manifest.find((m) => m.system === "A" && m.file.endsWith(".xls"))!;
  const folder = await serviceFolder();
  await Deno.writeFile(join(folder.inbox, good.file), new Uint8Array(100).fill(9));
  const service = await startService(folder.configFile, folder.db);
  const quarantined = async () =>
    (await serviceRows(service.base, "SELECT file_id FROM files WHERE status = 'quarantined'")).length;
  try {
    const end = Date.now() + 20_000;
    while (Date.now() < end && await quarantined() === 0) await new Promise((r) => setTimeout(r, 100));
    const listed = await (await fetch(`${service.base}/quarantine`)).text();
    ok(
      listed.includes("1 file(s) in quarantine") && listed.includes("corrupt_file") &&
        listed.includes(good.file),
    );
    // IT copies the station's good file over the damaged one in the quarantine folder.
    await Deno.copyFile(join(dir, good.file), join(folder.quarantineDir, "corrupt_file", good.file));
    const problems = await inChromium(async (tab) => {
      await tab.goto(`${service.base}/quarantine`);
      await tab.click("text=Reprocess all");
      await tab.waitForURL(/\/quarantine\?job=\d+$/);
      ok((await tab.textContent("p[role=status]"))!.includes("Reprocessing"));
      const until = Date.now() + 20_000;
      while (Date.now() < until && !(await tab.content()).includes("0 file(s) in quarantine")) {
        await new Promise((r) => setTimeout(r, 200));
        await tab.reload();
      }
      ok((await tab.content()).includes("0 file(s) in quarantine"), "the fixed file left quarantine");
    });
    equal(problems.join("\n"), "");
    const [row] = await serviceRows(service.base, "SELECT status, n_tracks FROM files");
    equal(row.status, "loaded");
    ok(Number(row.n_tracks) > 0);
  } finally {
    equal(await service.stop(), 0, service.log().slice(-1500));
  }
});

Deno.test("/service shows the state, the queue, memory against the budget, versions and the nightly runs", async () => {
  const folder = await serviceFolder({ memoryBudgetMb: 768 });
  const service = await startService(folder.configFile, folder.db);
  try {
    const before = await (await fetch(`${service.base}/service`)).text();
    ok(before.includes("No nightly run yet."));
    const started = await fetch(`${service.base}/api/jobs/run`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jobs: ["checkpoint"] }),
    });
    equal(started.status, 202);
    const { id } = await started.json();
    const end = Date.now() + 20_000;
    while (
      Date.now() < end && (await (await fetch(`${service.base}/api/jobs/${id}`)).json()).state === "running"
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const html = await (await fetch(`${service.base}/service`)).text();
    ok(/<th>state<\/th><td[^>]*>running<\/td>/.test(html), "running");
    ok(html.includes(" / 768 MiB, ok"), "memory against the budget, and the gate's state");
    ok(new RegExp(`<th>schema version</th><td[^>]*>${SCHEMA_VERSION}</td>`).test(html), "the schema version");
    ok(/<td>checkpoint<\/td><td>[^<]+<\/td><td class="PASS">ok<\/td>/.test(html), "the job's run, ok");
    const problems = await inChromium(async (tab) => {
      await tab.goto(`${service.base}/service`);
      ok((await tab.textContent("h1"))!.includes("Service"));
    });
    equal(problems.join("\n"), "");
  } finally {
    equal(await service.stop(), 0, service.log().slice(-1500));
  }
});
