/** Where a file lta cannot take goes: a folder per reason code, the reason beside it, nothing overwritten. */
import { join } from "node:path";
import { moveWithoutOverwrite } from "../fs.ts";

/** Puts the file in `<quarantineDir>/<code>/`, with a `.reason.txt` beside it, never overwriting. */
export async function quarantine(
  path: string,
  fileName: string,
  code: string,
  reason: string,
  options: { quarantineDir: string; quarantineMode?: "move" | "copy" },
): Promise<string> {
  const dir = join(options.quarantineDir, code);
  if (path.startsWith(dir)) return path;
  const target = await moveWithoutOverwrite(path, join(dir, fileName), options.quarantineMode === "copy");
  await Deno.writeTextFile(`${target}.reason.txt`, `${code}\n${reason}\n`);
  return target;
}
