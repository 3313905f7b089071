/** Headless Chromium (Debian's package) for page tests: a screenshot and the page's console messages. */
import { Buffer } from "node:buffer";
import { join } from "node:path";
import pngjs from "pngjs";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** The part of pngjs used here (the package ships no types of its own). */
const PNG = (pngjs as {
  PNG: { sync: { read(data: Uint8Array): { width: number; height: number; data: Uint8Array } } };
})
  .PNG;

export const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

/** Loads `url`, returns the console lines it logged and the share of screenshot pixels that are not white. */
export async function openInChromium(
  url: string,
  size = "1000,1400",
): Promise<{ console: string[]; inked: number }> {
  if (!CHROMIUM) throw new Error("chromium is not installed (apt-get install chromium); .ci/run installs it");
  const dir = await Deno.makeTempDir({ prefix: "lta-chromium-" });
  const shot = join(dir, "shot.png");
  const out = await new Deno.Command(CHROMIUM, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${join(dir, "profile")}`,
      "--enable-logging=stderr",
      "--v=0",
      `--window-size=${size}`,
      `--screenshot=${shot}`,
      url,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const log = new TextDecoder().decode(out.stderr);
  const consoleLines = log.split("\n").filter((l) => l.includes(":CONSOLE"));
  try {
    await Deno.stat(shot);
  } catch {
    throw new Error(`chromium wrote no screenshot (exit ${out.code}):\n${log.slice(-2000)}`);
  }
  const inked = inkedShare(await Deno.readFile(shot));
  await Deno.remove(dir, { recursive: true });
  return { console: consoleLines, inked };
}

/**
 * Runs `visit` in a fresh Chromium tab; returns what went wrong on the pages it opened: console messages,
 * page errors, responses of 400 and above, failed requests.
 */
export async function inChromium(
  visit: (tab: Page, context: BrowserContext) => Promise<void>,
): Promise<string[]> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu"],
  });
  try {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const problems: string[] = [];
    tab.on("console", (m) => problems.push(`${m.type()}: ${m.text()}`));
    tab.on("pageerror", (e) => problems.push(`error: ${e.message}`));
    tab.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
    tab.on("requestfailed", (r) => problems.push(`failed ${r.url()}`));
    await visit(tab, context);
    return problems;
  } finally {
    await browser.close();
  }
}

/** Where page tests keep their screenshots (the CI's artifacts). */
export const SCREENSHOTS = new URL("../test-artifacts/screenshots/", import.meta.url).pathname;

/**
 * A full-page screenshot of `tab` as `name`.png among the artifacts (and in docs/screenshots with
 * LTA_UPDATE_SCREENSHOTS=1, for the README); returns the share of pixels that are not white.
 */
export async function screenshot(tab: Page, name: string): Promise<number> {
  const bytes = await tab.screenshot({ fullPage: true });
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  await Deno.writeFile(join(SCREENSHOTS, `${name}.png`), bytes);
  if (Deno.env.get("LTA_UPDATE_SCREENSHOTS") === "1") {
    const docs = new URL("../docs/screenshots/", import.meta.url).pathname;
    await Deno.mkdir(docs, { recursive: true });
    await Deno.writeFile(join(docs, `${name}.png`), await tab.screenshot({ fullPage: false }));
  }
  return inkedShare(bytes);
}

/** The share of a PNG's pixels that are not (nearly) white: a blank page is close to 0. */
export function inkedShare(bytes: Uint8Array): number {
  const png = PNG.sync.read(Buffer.from(bytes));
  let inked = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    if (png.data[i] < 240 || png.data[i + 1] < 240 || png.data[i + 2] < 240) inked++;
  }
  return inked / (png.width * png.height);
}
