/** Small file-system helpers shared by the stages. */

/** Whether anything (file, folder, link) exists at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
