/**
 * `deno task dist [--out DIR]`: a self-contained release folder that runs on a machine with no network:
 * the sources, the locked `node_modules` (with DuckDB's native binding), this Deno binary and start scripts
 * (`lta` for Linux, `lta.cmd` for Windows). Built on Linux with `cp -a` (node_modules holds symlinks).
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { VERSION } from "../main.ts";

const { values } = parseArgs({ args: Deno.args, options: { out: { type: "string" } } });
const root = resolve(new URL("..", import.meta.url).pathname);
const out = resolve(values.out ?? join(root, "dist", `lta-${VERSION}-${Deno.build.os}-${Deno.build.arch}`));

async function run(cmd: string, args: string[], cwd = root): Promise<void> {
  const r = await new Deno.Command(cmd, { args, cwd, stdout: "inherit", stderr: "inherit" }).output();
  if (!r.success) throw new Error(`${cmd} ${args.join(" ")} failed (${r.code})`);
}

// Every npm package the program needs, resolved from the lockfile into node_modules.
await run(Deno.execPath(), ["install", "--frozen", "--entrypoint", "main.ts"]);
await Deno.remove(out, { recursive: true }).catch(() => {});
await Deno.mkdir(join(out, "bin"), { recursive: true });
for (const item of ["main.ts", "deno.json", "deno.lock", "README.md", "src", "deploy", "node_modules"]) {
  await run("cp", ["-a", join(root, item), out]);
}
const exe = Deno.build.os === "windows" ? "deno.exe" : "deno";
await Deno.copyFile(Deno.execPath(), join(out, "bin", exe));
await Deno.chmod(join(out, "bin", exe), 0o755).catch(() => {});
const flags = "--allow-all --cached-only --v8-flags=--max-semi-space-size=2,--expose-gc";
await Deno.writeTextFile(
  join(out, "lta"),
  `#!/bin/sh
# lta ${VERSION}: runs from this folder with no network (npm packages are in node_modules).
HERE=$(cd "$(dirname "$0")" && pwd)
export DENO_DIR="$HERE/.deno-cache"
# One malloc arena for every thread: what DuckDB's threads free is reused instead of fragmenting (docs/memory.md).
export MALLOC_ARENA_MAX=1
exec "$HERE/bin/deno" run ${flags} "$HERE/main.ts" "$@"
`,
);
await Deno.chmod(join(out, "lta"), 0o755);
await Deno.writeTextFile(
  join(out, "lta.cmd"),
  `@echo off\r\nrem lta ${VERSION}: put deno.exe for Windows (npm package @deno/win32-x64) in bin\\ first.\r\n` +
    `set DENO_DIR=%~dp0.deno-cache\r\n"%~dp0bin\\deno.exe" run ${flags} "%~dp0main.ts" %*\r\n`,
);
console.error(`wrote ${out}`);
