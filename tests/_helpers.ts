/** Shared test setup: temporary folders, generated fixtures (once per run), and a config for them. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type FixtureEntry, generateFixtures } from "../fixtures/generate.ts";
import { buildConfig, type Config } from "../src/config/config.ts";
import { setMessageSink } from "../src/log.ts";

/**
 * What commands and services run in the test process print (log lines, summaries, quarantine notes), kept
 * here instead of in the test output, where a newcomer would read them as failures. The newest 2,000.
 */
export const messages: string[] = [];
setMessageSink((line) => {
  messages.push(line);
  if (messages.length > 2000) messages.shift();
});

let fixtures: Promise<{ dir: string; manifest: FixtureEntry[] }> | null = null;

/** The generated fixture catalogue, written once into a temporary folder. */
export function generatedFixtures(): Promise<{ dir: string; manifest: FixtureEntry[] }> {
  fixtures ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "lta-fixtures-" });
    return { dir, manifest: await generateFixtures(dir) };
  })();
  return fixtures;
}

/** A fresh work folder with an inbox holding copies of `files`, and a config pointing into it. */
export async function workspace(
  files: string[] = [],
): Promise<{ root: string; inbox: string; config: Config }> {
  const root = await Deno.makeTempDir({ prefix: "lta-test-" });
  const inbox = join(root, "inbox");
  await Deno.mkdir(inbox);
  for (const f of files) await Deno.copyFile(f, join(inbox, f.split("/").at(-1)!));
  const config = buildConfig({}, {}, {
    db: join(root, "data", "lta.duckdb"),
    inbox,
    quarantineDir: join(root, "quarantine"),
    archiveDir: join(root, "archive"),
    reportsDir: join(root, "reports"),
  });
  return { root, inbox, config };
}

/**
 * Upstream's real station files with its recorded results: all 60 in the project's `../shared` folder (or
 * where `LTA_SHARED_DIR` points: `.ci/run` sets it for a clone made away from `shared/`), else 35 of them
 * committed under `tests/data/real` (both systems, one- and two-track files, the 8 tracks where the exact
 * offset search fails fewer points than upstream), so the tests pass in a plain clone.
 */
const SHARED_DIR = Deno.env.get("LTA_SHARED_DIR") ?? new URL("../../shared/", import.meta.url).pathname;
const REAL_ROOT = existsSync(join(SHARED_DIR, "real", "files"))
  ? join(SHARED_DIR, "real")
  : new URL("./data/real/", import.meta.url).pathname;
export const REAL_DIR = join(REAL_ROOT, "files");
export const REAL_RESULTS = join(REAL_ROOT, "upstream_results.csv");

/** upstream_results.csv as objects keyed by its header. */
export async function upstreamResults(): Promise<Record<string, string>[]> {
  const [header, ...lines] = (await Deno.readTextFile(REAL_RESULTS)).trim().split("\n");
  const cols = header.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], v])));
}
