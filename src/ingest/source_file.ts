/**
 * The file on disk as a load sees it: its hash and first bytes (which tell the format, whatever the
 * extension says), and whether it stayed the same while it was read.
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import { CFB_MAGIC, startsWith } from "./parsed.ts";

/**
 * The file changed (size or mtime) between its claim and the end of its read: not the file's fault, so it
 * is not quarantined; the service reads it again once it is stable.
 */
export class SourceChanged extends Error {
  constructor(path: string) {
    super(`${basename(path)} changed while it was read; it is read again once it stops changing`);
    this.name = "SourceChanged";
  }
}

export async function assertUnchanged(path: string, before: Deno.FileInfo): Promise<void> {
  const now = await Deno.stat(path).catch(() => null);
  if (!now || now.size !== before.size || now.mtime?.getTime() !== before.mtime?.getTime()) {
    throw new SourceChanged(path);
  }
}

/**
 * The file's SHA-256 and its first bytes (which tell the format). A compound file is read whole, as its
 * reader needs it anyway (its sector map can point anywhere; trim .xls files are small); anything else is
 * hashed in chunks, so a big `.xlsx` is never held whole.
 */
export async function hashFile(
  path: string,
): Promise<{ sha256: string; head: Uint8Array; whole: Uint8Array | null }> {
  using file = await Deno.open(path, { read: true });
  const chunk = new Uint8Array(256 * 1024);
  const first = await file.read(chunk);
  const head = chunk.slice(0, Math.min(first ?? 0, 8));
  if (startsWith(head, CFB_MAGIC)) {
    const whole = await Deno.readFile(path);
    return { sha256: createHash("sha256").update(whole).digest("hex"), head, whole };
  }
  const hash = createHash("sha256");
  for (let n = first; n !== null; n = await file.read(chunk)) hash.update(chunk.subarray(0, n));
  return { sha256: hash.digest("hex"), head, whole: null };
}
