/**
 * Finds trim files to ingest: named files as given, folders walked recursively for `.xls`/`.xlsx`,
 * skipping Excel owner files (`~$…`), hidden entries and the quarantine folder. Oldest first.
 */
import { extname, join, resolve } from "node:path";

const EXCEL = new Set([".xls", ".xlsx"]);

/** Whether a name found in a folder walk is a workbook lta should take. */
export function isCandidateName(name: string): boolean {
  return EXCEL.has(extname(name).toLowerCase()) && !name.startsWith("~$") && !name.startsWith(".");
}

/** Expands `paths` into files, in modification-time order; named files are kept whatever their extension. */
export async function discoverFiles(paths: string[], skipDirs: string[] = []): Promise<string[]> {
  const skip = new Set(skipDirs.map((d) => resolve(d)));
  const found: Array<{ path: string; mtime: number }> = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const full = join(dir, entry.name);
      if (entry.isDirectory) {
        if (!entry.name.startsWith(".") && !skip.has(resolve(full))) await walk(full);
      } else if (entry.isFile && isCandidateName(entry.name)) {
        found.push({ path: full, mtime: (await Deno.stat(full)).mtime?.getTime() ?? 0 });
      }
    }
  };
  for (const p of paths) {
    const info = await Deno.stat(p).catch((e) => {
      if (e instanceof Deno.errors.NotFound) throw new Error(`${p}: no such file or folder`);
      if (e instanceof Deno.errors.PermissionDenied) throw new Error(`${p}: permission denied`);
      throw e;
    });
    if (info.isDirectory) await walk(p);
    else found.push({ path: p, mtime: info.mtime?.getTime() ?? 0 });
  }
  return found.sort((a, b) => a.mtime - b.mtime || a.path.localeCompare(b.path)).map((f) => f.path);
}
