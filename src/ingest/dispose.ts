/** What becomes of a source file once it is loaded (or a duplicate): left, archived or deleted. */
import { join, relative, resolve } from "node:path";
import type { Config } from "../config/config.ts";
import { moveWithoutOverwrite } from "../fs.ts";

/** Leaves, archives (into `<archiveDir>/<YYYY-MM-DD>/<path below the inbox>`) or deletes a loaded file. */
export async function disposeSource(
  path: string,
  config: Pick<Config, "afterLoad" | "archiveDir" | "inbox">,
): Promise<void> {
  if (config.afterLoad === "leave") return;
  try {
    if (config.afterLoad === "delete") {
      await Deno.remove(path);
      return;
    }
    const day = new Date().toISOString().slice(0, 10);
    await moveWithoutOverwrite(
      path,
      join(config.archiveDir, day, relative(resolve(config.inbox), resolve(path))),
    );
  } catch {
    // The data are in the database; a source file that cannot be moved is simply left where it is.
  }
}
