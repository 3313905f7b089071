/** The release folder runs on a machine without network: --version and a one-file ingest from a copy. */
import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { generatedFixtures } from "./_helpers.ts";

const DIST = new URL("../deploy/dist.ts", import.meta.url).pathname;

Deno.test({
  name: "deno task dist makes a folder that, copied elsewhere, runs offline: --version and a one-file ingest",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const work = await Deno.makeTempDir({ prefix: "lta-dist-" });
    try {
      const built = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", DIST, "--out", join(work, "release")],
        stdout: "piped",
        stderr: "piped",
      }).output();
      equal(built.code, 0, new TextDecoder().decode(built.stderr));
      // "Unpack" into an empty folder elsewhere, as IT would on the plant PC.
      const target = join(work, "elsewhere");
      await Deno.mkdir(target);
      const copied = await new Deno.Command("cp", {
        args: ["-a", join(work, "release"), join(target, "lta")],
      }).output();
      equal(copied.code, 0);
      const home = join(work, "home");
      await Deno.mkdir(home);
      // No proxies, an unreachable registry, an empty home: anything fetched would fail.
      const env = {
        PATH: "/usr/bin:/bin",
        HOME: home,
        NPM_CONFIG_REGISTRY: "http://127.0.0.1:9",
        NO_COLOR: "1",
      };
      const lta = (args: string[]) =>
        new Deno.Command(join(target, "lta", "lta"), {
          args,
          env,
          clearEnv: true,
          stdout: "piped",
          stderr: "piped",
        })
          .output();
      const version = await lta(["--version"]);
      equal(
        new TextDecoder().decode(version.stdout).trim(),
        "0.1.0",
        new TextDecoder().decode(version.stderr),
      );
      const { dir, manifest } = await generatedFixtures();
      const file = manifest.find((m) => m.system === "A")!;
      const ingest = await lta(["ingest", join(dir, file.file), "--db", join(work, "data", "x.duckdb")]);
      const err = new TextDecoder().decode(ingest.stderr);
      equal(ingest.code, 0, err);
      ok(/^1 loaded, 0 duplicate, 0 quarantined, \d+ rows/m.test(err), err);
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});
