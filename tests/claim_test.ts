/** The claim rules: completeness of real and generated workbooks, and stability across scans. */
import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { ClaimTracker, structurallyWhole } from "../src/ingest/claim.ts";
import { generatedFixtures, REAL_DIR } from "./_helpers.ts";

Deno.test("structurallyWhole() accepts every complete real and generated workbook", async () => {
  const { dir, manifest } = await generatedFixtures();
  const paths = [
    ...[...Deno.readDirSync(REAL_DIR)].map((e) => join(REAL_DIR, e.name)),
    ...manifest.filter((m) => !m.quarantine).map((m) => join(dir, m.file)),
  ];
  for (const p of paths) equal(await structurallyWhole(p, (await Deno.stat(p)).size), null, p);
});

Deno.test("structurallyWhole() rejects a workbook cut short anywhere, .xls and .xlsx alike", async () => {
  const { dir, manifest } = await generatedFixtures();
  const real = join(REAL_DIR, [...Deno.readDirSync(REAL_DIR)][0].name);
  const generatedXls = join(dir, manifest.find((m) => m.file.endsWith(".xls") && m.system)!.file);
  const generatedXlsx = join(dir, manifest.find((m) => m.file.endsWith(".xlsx") && m.system)!.file);
  const tmp = await Deno.makeTempFile();
  for (const source of [real, generatedXls, generatedXlsx]) {
    const bytes = await Deno.readFile(source);
    for (const fraction of [0.05, 0.3, 0.5, 0.8, 0.97]) {
      const cut = bytes.subarray(0, Math.floor(bytes.length * fraction));
      await Deno.writeFile(tmp, cut);
      ok(await structurallyWhole(tmp, cut.length) !== null, `${source} cut at ${fraction} looks whole`);
    }
  }
});

Deno.test("ClaimTracker claims a file only once it is old enough and unchanged across two scans", async () => {
  const { dir, manifest } = await generatedFixtures();
  const path = join(dir, manifest[0].file);
  const size = (await Deno.stat(path)).size;
  const tracker = new ClaimTracker({ minAgeMs: 1000, stuckMs: 60_000 });
  const t0 = 1_000_000;
  equal(await tracker.check(path, size, t0, t0 + 2000), "wait", "first sighting");
  equal(await tracker.check(path, size, t0 + 5, t0 + 2500), "wait", "mtime moved since");
  equal(await tracker.check(path, size, t0 + 5, t0 + 3000), "claim", "same twice, old enough, whole");
  const young = new ClaimTracker({ minAgeMs: 10_000, stuckMs: 60_000 });
  await young.check(path, size, t0, t0 + 100);
  equal(await young.check(path, size, t0, t0 + 200), "wait", "too young");
});

Deno.test("ClaimTracker holds back a stable but incomplete file until it has been stuck long enough", async () => {
  const { dir, manifest } = await generatedFixtures();
  const bytes = await Deno.readFile(
    join(dir, manifest.find((m) => m.file.endsWith(".xlsx") && m.system)!.file),
  );
  const path = await Deno.makeTempFile({ suffix: ".xlsx" });
  await Deno.writeFile(path, bytes.subarray(0, bytes.length >> 1));
  const size = bytes.length >> 1;
  const tracker = new ClaimTracker({ minAgeMs: 0, stuckMs: 5000 });
  equal(await tracker.check(path, size, 0, 1000), "wait");
  equal(await tracker.check(path, size, 0, 2000), "wait", "no end-of-central-directory record");
  equal(
    await tracker.check(path, size, 0, 6500),
    "claim",
    "stuck: handed over, to be quarantined as corrupt",
  );
});

Deno.test("ClaimTracker claims a file whose mtime is in the future once it has looked the same for minAge", async () => {
  const { dir, manifest } = await generatedFixtures();
  const path = join(dir, manifest[0].file);
  const size = (await Deno.stat(path)).size;
  const tracker = new ClaimTracker({ minAgeMs: 1000, stuckMs: 60_000 });
  const now = 1_000_000;
  const ahead = now + 3_600_000; // the station's clock an hour ahead
  equal(await tracker.check(path, size, ahead, now), "wait", "first sighting");
  equal(await tracker.check(path, size, ahead, now + 500), "wait", "unchanged, but not for minAge yet");
  equal(await tracker.check(path, size, ahead, now + 1500), "claim", "unchanged for minAge");
});
