/** The fixture generator is deterministic, and the committed samples are what it writes today. */
import { deepEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import { generatedFixtures } from "./_helpers.ts";

const SAMPLES = new URL("../fixtures/samples/", import.meta.url).pathname;

Deno.test("the committed samples are byte-identical to what the generator writes", async () => {
  const { dir } = await generatedFixtures();
  const names = [...Deno.readDirSync(SAMPLES)].map((e) => e.name).sort();
  ok(names.length >= 5, "samples of both systems, both formats, a messy one and a bad one");
  for (const name of names) {
    deepEqual(await Deno.readFile(join(SAMPLES, name)), await Deno.readFile(join(dir, name)), name);
  }
});
