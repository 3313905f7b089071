/** Small file-system helpers shared by the stages. */
import { basename, dirname, join } from "node:path";

/** Whether anything (file, folder, link) exists at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * A name beside `target` that nothing holds yet: `target` itself, else `variant(target, 1)`, `(…, 2)`, …
 * Nothing lta keeps (quarantined or archived sources, a damaged database) is ever written over.
 */
export async function freeName(
  target: string,
  variant: (target: string, n: number) => string = prefixed,
): Promise<string> {
  let name = target;
  for (let i = 1; await exists(name); i++) name = variant(target, i);
  return name;
}

/** `<dir>/<n>_<name>`: the default variant of `freeName`. */
function prefixed(target: string, n: number): string {
  return join(dirname(target), `${n}_${basename(target)}`);
}

/**
 * Moves (or with `copy`, copies) `source` to a free name at or beside `target`, creating its folder; returns
 * where it went. Across file systems (a share into a local folder) a rename fails: copy, then remove.
 */
export async function moveWithoutOverwrite(source: string, target: string, copy = false): Promise<string> {
  await Deno.mkdir(dirname(target), { recursive: true });
  const to = await freeName(target);
  if (copy) {
    await Deno.copyFile(source, to);
    return to;
  }
  try {
    await Deno.rename(source, to);
  } catch {
    await Deno.copyFile(source, to);
    await Deno.remove(source);
  }
  return to;
}
