/** Shared test setup: temporary folders, generated fixtures (once per run), and a config for them. */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
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
 * offset search fails fewer points than upstream), so the tests pass in a plain clone. The committed ones
 * are gzipped (16.5 MB as they are, 4.8 MB so) and unpacked once into a temporary folder named by their
 * content.
 */
const SHARED_DIR = Deno.env.get("LTA_SHARED_DIR") ?? new URL("../../shared/", import.meta.url).pathname;
const SHARED_REAL = join(SHARED_DIR, "real");
const COMMITTED_REAL = new URL("./data/real/", import.meta.url).pathname;
const HAS_SHARED = existsSync(join(SHARED_REAL, "files"));
export const REAL_DIR = HAS_SHARED ? join(SHARED_REAL, "files") : unpackedRealFiles();
export const REAL_RESULTS = join(HAS_SHARED ? SHARED_REAL : COMMITTED_REAL, "upstream_results.csv");

/** The committed `.gz` station files, unpacked byte for byte into a folder shared by every test process. */
function unpackedRealFiles(): string {
  const packed = join(COMMITTED_REAL, "files");
  const names = [...Deno.readDirSync(packed)].map((e) => e.name).filter((n) => n.endsWith(".gz")).sort();
  const hash = createHash("sha256");
  for (const n of names) hash.update(n).update(Deno.readFileSync(join(packed, n)));
  const dir = join(Deno.env.get("TMPDIR") ?? "/tmp", `lta-real-${hash.digest("hex").slice(0, 16)}`);
  if (existsSync(dir)) return dir;
  // Unpacked beside it and renamed into place: a test process never sees a half-filled folder.
  const staging = Deno.makeTempDirSync({ dir: join(dir, ".."), prefix: "lta-real-unpacking-" });
  Deno.chmodSync(staging, 0o755);
  for (const n of names) {
    Deno.writeFileSync(join(staging, n.slice(0, -3)), gunzipSync(Deno.readFileSync(join(packed, n))));
  }
  try {
    Deno.renameSync(staging, dir);
  } catch {
    Deno.removeSync(staging, { recursive: true }); // another process won the race; its folder is the same
  }
  return dir;
}

/** upstream_results.csv as objects keyed by its header. */
export async function upstreamResults(): Promise<Record<string, string>[]> {
  const [header, ...lines] = (await Deno.readTextFile(REAL_RESULTS)).trim().split("\n");
  const cols = header.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], v])));
}

/** The text of a PDF, as poppler's pdftotext reads it (layout kept, so table rows stay on one line). */
export async function pdfText(pdf: Uint8Array): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".pdf" });
  try {
    await Deno.writeFile(path, pdf);
    const out = await new Deno.Command("pdftotext", {
      args: ["-layout", path, "-"],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    if (out.code !== 0) throw new Error(`pdftotext failed: ${new TextDecoder().decode(out.stderr)}`);
    return new TextDecoder().decode(out.stdout);
  } finally {
    await Deno.remove(path);
  }
}
