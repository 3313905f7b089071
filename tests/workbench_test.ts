/**
 * The engineers' workbench over 35 days of generated history (three models, one drifting, failing units,
 * a Final Test escape, two quarantined files), walked in Chromium as an engineer would: dashboard →
 * model → unit → chart, Final Test against trim, an alarm's evidence acknowledged with a cause that
 * survives a restart, search by serial, quarantine. Every page is screenshotted (test-artifacts/) and
 * must be neither blank nor noisy in the console. A read-only token may look but not acknowledge.
 */
import { equal, ok } from "node:assert/strict";
import type { Page } from "playwright-core";
import { join } from "node:path";
import { meta, systemAFile } from "../fixtures/generate.ts";
import { writeHistory } from "../fixtures/history.ts";
import { workbookBytes } from "../fixtures/workbooks.ts";
import { spcNow } from "../src/actions/history.ts";
import { ingestCommand } from "../src/cli/commands.ts";
import { buildConfig } from "../src/config/config.ts";
import { Database } from "../src/db/database.ts";
import { inChromium, screenshot } from "./_chromium.ts";
import { pdfText } from "./_helpers.ts";
import { serviceFolder, startService } from "./_service_process.ts";

/** A service folder whose database holds the history, with SPC run over it. */
async function historyService(extra: Record<string, unknown> = {}) {
  const folder = await serviceFolder(extra);
  const source = await Deno.makeTempDir({ prefix: "lta-history-" });
  const history = await writeHistory(source, new Date().toISOString().slice(0, 10));
  const config = buildConfig({}, {}, { db: folder.db, quarantineDir: folder.quarantineDir });
  await ingestCommand([source], config);
  const db = await Database.open(folder.db);
  try {
    await spcNow(db, config, {});
  } finally {
    db.close();
  }
  return { folder, history };
}

/** Saves the page's screenshot and checks it holds something. */
async function shot(tab: Page, name: string) {
  const inked = await screenshot(tab, name);
  ok(inked > 0.03, `${name}: the screenshot is nearly blank (${(inked * 100).toFixed(1)}% inked)`);
}

Deno.test("dashboard → model → unit → chart, Final Test escapes, search and quarantine, in Chromium over 35 days", async () => {
  const { folder, history } = await historyService();
  const service = await startService(folder.configFile, folder.db);
  try {
    const problems = await inChromium(async (tab) => {
      await tab.setViewportSize({ width: 1280, height: 900 });
      await tab.goto(`${service.base}/`);
      const attention = await tab.textContent("table");
      ok(
        attention!.includes(history.drifting) && /drift alarm/.test(attention!),
        "the drifting model needs attention",
      );
      ok((await tab.content()).includes("Why tracks did not pass"), "the Pareto");
      await shot(tab, "dashboard");

      const failing = history.failing.find((f) => f.model === "8340-1")!;
      await tab.click(`table a[href^="/models/8340-1"]`);
      await tab.waitForURL(/\/models\/8340-1\?days=30$/);
      ok((await tab.textContent("h1"))!.includes("8340-1"));
      ok(await tab.locator("figure svg").count() >= 5, "trend and control charts");
      ok((await tab.content()).includes("Cpk 95% CI"), "capability with its interval");
      await shot(tab, "model");
      const modelPdf = await tab.request.get(
        new URL(String(await tab.getAttribute("a.pdf", "href")), tab.url()).href,
      );
      equal(modelPdf.headers()["content-type"], "application/pdf");
      const modelText = await pdfText(await modelPdf.body());
      for (
        const part of [
          "Model 8340-1",
          "last 30 days",
          "Cpk 95%",
          "normality",
          "Sigma gradient",
          "I-MR: sigma gradient",
        ]
      ) {
        ok(modelText.includes(part), `the model's PDF has ${part}`);
      }

      // The sigma trend is live in the browser: a point names its unit and date, a click opens the unit.
      await tab.waitForSelector("figure.interactive.live");
      const dot = tab.locator("figure.interactive path[role=graphics-symbol]").nth(10);
      await dot.scrollIntoViewIfNeeded();
      const at = (await dot.boundingBox())!;
      await tab.mouse.move(at.x + at.width / 2, at.y + at.height / 2);
      await tab.waitForSelector("#vg-tooltip-element.visible");
      const tip = await tab.textContent("#vg-tooltip-element");
      ok(tip!.includes("unit") && tip!.includes("tested"), `a point's tooltip: ${tip}`);
      await tab.mouse.click(at.x + at.width / 2, at.y + at.height / 2);
      await tab.waitForURL(/\/units\/8340-1\/\d+$/);
      await tab.goto(`${service.base}/models/8340-1?days=all`);
      await tab.click(`a[href="/units/8340-1/${failing.serial}"]`);
      await tab.waitForURL(new RegExp(`/units/8340-1/${failing.serial}$`));
      ok((await tab.content()).includes("FAIL"), "the failing unit's verdict");
      await tab.waitForLoadState("networkidle");
      await shot(tab, "unit");
      const unitPdf = await tab.request.get(
        new URL(String(await tab.getAttribute("a.pdf", "href")), tab.url()).href,
      );
      const unitText = await pdfText(await unitPdf.body());
      ok(unitText.includes(`Unit 8340-1 / ${failing.serial}`) && unitText.includes("FAIL"), "the unit's PDF");
      ok(unitText.includes("position (degrees)"), "with its track chart");
      await tab.click("figure a >> nth=0");
      await tab.waitForURL(/\/chart\.svg$/);
      ok((await tab.content()).includes("8340-1 · SN"), "the track's chart");

      await tab.goto(`${service.base}/compare`);
      const compare = await tab.content();
      ok(
        compare.includes(`/units/2475-10/${history.escape.serial}`) && compare.includes(">escape<"),
        "the escape",
      );
      await shot(tab, "compare");

      await tab.goto(`${service.base}/`);
      await tab.fill("input[name=q]", history.escape.serial);
      await tab.press("input[name=q]", "Enter");
      await tab.waitForURL(/\/search\?q=/);
      ok((await tab.content()).includes(`/units/2475-10/${history.escape.serial}`), "search by serial");

      // Lists are paged on the server: every unit's file name holds "TEST DATA".
      await tab.goto(`${service.base}/search?q=TEST+DATA`);
      ok((await tab.textContent("p.pager"))!.includes("Rows 1–50"), "the first page");
      await tab.click("a[rel=next]");
      await tab.waitForURL(/page=2/);
      const second = (await tab.textContent("p.pager"))!;
      ok(second.includes("Rows 51–100") && second.includes("newer") && second.includes("older"), second);
      equal(await tab.locator("a.unit").count(), 50, "one page of units");

      await tab.goto(`${service.base}/quarantine`);
      const quarantine = await tab.content();
      for (const name of history.quarantined) ok(quarantine.includes(name), name);
      await shot(tab, "quarantine");
      // IT puts the station's good copy of the empty file in its place and reprocesses that one alone.
      const [empty, corrupt] = history.quarantined;
      const good = systemAFile(meta("9001", "1", 1), [{}], 1).sheets;
      await Deno.writeFile(join(folder.quarantineDir, "empty_file", empty), workbookBytes(good, "xls"));
      // The other gets a good copy too: had every file been reprocessed, none would be left.
      const other = systemAFile(meta("9001", "2", 2), [{}], 2).sheets;
      await Deno.writeFile(join(folder.quarantineDir, "corrupt_file", corrupt), workbookBytes(other, "xls"));
      await tab.click(`tr:has-text("${empty}") >> text=Reprocess`);
      await tab.waitForURL(/\/quarantine\?job=\d+$/);
      const until = Date.now() + 20_000;
      while (Date.now() < until && !(await tab.content()).includes("1 file(s) in quarantine")) {
        await new Promise((r) => setTimeout(r, 200));
        await tab.reload();
      }
      const after = await tab.content();
      ok(
        after.includes("1 file(s) in quarantine") && after.includes(corrupt),
        "only the one reprocessed left",
      );
    });
    equal(problems.join("\n"), "");
  } finally {
    equal(await service.stop(), 0, service.log().slice(-1500));
  }
});

Deno.test("alarm → evidence → acknowledged with a cause from the list; the read-only token may look but not acknowledge", async () => {
  const full = crypto.randomUUID();
  const readOnly = crypto.randomUUID();
  const { folder, history } = await historyService({
    httpHost: "127.0.0.2",
    httpToken: full,
    httpReadToken: readOnly,
  });
  let service = await startService(folder.configFile, folder.db);
  let evidence = "";
  try {
    const signIn = async (tab: Page, token: string) => {
      await tab.goto(`${service.base}/login`);
      await tab.fill("input[name=token]", token);
      await tab.click("button");
      await tab.waitForURL(/\/$/);
    };
    const problems = await inChromium(async (tab, context) => {
      await tab.setViewportSize({ width: 1280, height: 900 });
      await signIn(tab, readOnly);
      await tab.goto(`${service.base}/alarms?model=${history.drifting}&rule=cusum_upper`);
      await tab.click("a:text('evidence') >> nth=0");
      await tab.waitForURL(/\/alarms\/\d+$/);
      evidence = new URL(tab.url()).pathname;
      const page = await tab.content();
      ok(
        page.includes("CUSUM") && page.includes("The points behind it") && page.includes("/units/"),
        "evidence",
      );
      ok(page.includes(`red: points of alarm ${evidence.split("/").at(-1)}`), "its points on the I-MR chart");
      await tab.waitForSelector("figure.interactive.live");
      ok(
        await tab.locator("figure.interactive path[aria-label*='href: /units/']").count() > 0,
        "the live I-MR chart links its points to their units",
      );
      await shot(tab, "alarm");
      const refused = await tab.request.post(`${service.base}${evidence}/ack`, {
        form: { cause: "environment", by: "visitor", back: evidence },
        headers: { origin: service.base, "sec-fetch-site": "same-origin" },
      });
      equal(refused.status(), 403, "the read-only token cannot acknowledge");

      await context.clearCookies();
      await signIn(tab, full);
      await tab.goto(`${service.base}${evidence}`);
      await tab.selectOption("form.ack select[name=cause]", "tool or trim wear");
      await tab.fill("form.ack input[name=note]", "nozzle replaced on line 3");
      await tab.fill("form.ack input[name=by]", "A. Engineer");
      await tab.click("form.ack button");
      await tab.waitForURL(new RegExp(`${evidence}$`));
      ok((await tab.content()).includes("nozzle replaced on line 3"), "in its history at once");
    });
    equal(problems.filter((p) => !p.startsWith("403 ")).join("\n"), "");
    equal(await service.stop(), 0);
    service = await startService(folder.configFile, folder.db);
    const cookie = await fetch(`${service.base}/login`, {
      method: "POST",
      redirect: "manual",
      body: new URLSearchParams({ token: readOnly, next: "/" }),
      headers: { origin: service.base, "sec-fetch-site": "same-origin" },
    });
    await cookie.body?.cancel();
    const session = cookie.headers.get("set-cookie")!.split(";")[0];
    const after = await (await fetch(`${service.base}${evidence}`, { headers: { cookie: session } })).text();
    ok(
      /A\. Engineer<\/td><td>acknowledged<\/td><td>tool or trim wear<\/td><td>nozzle replaced on line 3/.test(
        after,
      ),
      "after a restart",
    );
  } finally {
    equal(await service.stop(), 0, service.log().slice(-1500));
  }
});

Deno.test("on an empty history every page answers, and the dashboard says nothing was tested yet", async () => {
  const folder = await serviceFolder();
  const service = await startService(folder.configFile, folder.db);
  try {
    for (
      const path of ["/", "/?days=all", "/models", "/compare", "/alarms", "/quarantine", "/live", "/service"]
    ) {
      const res = await fetch(`${service.base}${path}`);
      const html = await res.text();
      equal(res.status, 200, path);
      if (path === "/") {
        ok(
          html.includes("No track was tested in the range.") && !html.includes("Every track"),
          "no false pass",
        );
      }
    }
  } finally {
    equal(await service.stop(), 0, service.log().slice(-1500));
  }
});
