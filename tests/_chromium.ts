/** Headless Chromium (Debian's package) for page tests: a screenshot and the page's console messages. */
import { Buffer } from "node:buffer";
import { join } from "node:path";
import pngjs from "pngjs";

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
  const png = PNG.sync.read(Buffer.from(await Deno.readFile(shot)));
  let inked = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    if (png.data[i] < 240 || png.data[i + 1] < 240 || png.data[i + 2] < 240) inked++;
  }
  await Deno.remove(dir, { recursive: true });
  return { console: consoleLines, inked: inked / (png.width * png.height) };
}
