/** The parse process: a read past its deadline or memory allowance is stopped, and the next file is read. */
import { equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { ParseProcess } from "../src/ingest/parse_process.ts";
import { ReadError } from "../src/ingest/readers/workbook.ts";
import { writeTypicalFiles } from "../fixtures/generate.ts";
import { hostileCases } from "../fixtures/hostile.ts";
import type { ReadRequest } from "../src/ingest/parsed.ts";

async function request(path: string): Promise<ReadRequest> {
  const bytes = await Deno.readFile(path);
  return {
    path,
    fileName: path.split("/").at(-1)!,
    head: bytes.slice(0, 8),
    whole: bytes,
    size: bytes.length,
  };
}

Deno.test("a read past its deadline is stopped as parse_timeout, and a fresh reader takes the next file", async () => {
  const [file] = await writeTypicalFiles(await Deno.makeTempDir(), 1);
  const reader = new ParseProcess({ baseTimeoutMs: 1, timeoutMsPerMb: 0, maxRssBytes: 1e9 });
  try {
    await rejects(reader.read(await request(file.path)), (e: ReadError) => e.code === "parse_timeout");
    equal(reader.restarts, 1);
  } finally {
    await reader.close();
  }
  const patient = new ParseProcess({ baseTimeoutMs: 30_000, timeoutMsPerMb: 0, maxRssBytes: 1e9 });
  try {
    const parsed = await patient.read(await request(file.path));
    equal(parsed.kind, "trim");
  } finally {
    await patient.close();
  }
});

Deno.test("a read past its memory allowance is stopped as too_large within a second, and the reader goes on", async () => {
  const dir = await Deno.makeTempDir();
  const loop = hostileCases().find((c) => c.expect === "too_large")!;
  const path = join(dir, loop.file);
  await Deno.writeFile(path, loop.bytes);
  const [good] = await writeTypicalFiles(dir, 1);
  const reader = new ParseProcess({ baseTimeoutMs: 30_000, timeoutMsPerMb: 0, maxRssBytes: 300e6 });
  try {
    const started = performance.now();
    await rejects(
      reader.read(await request(path)),
      (e: ReadError) => e.code === "too_large" && e.message.startsWith(loop.file),
    );
    ok(performance.now() - started < 1_000, `stopped after ${Math.round(performance.now() - started)} ms`);
    equal((await reader.read(await request(good.path))).kind, "trim");
  } finally {
    await reader.close();
  }
});
