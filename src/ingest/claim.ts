/**
 * When a file in the inbox may be read: old enough, size and mtime unchanged across two scans, openable,
 * and structurally whole (an `.xlsx` zip ends with its end-of-central-directory record; an `.xls`
 * compound file has a valid header whose sectors lie inside the file). A file that keeps changing waits.
 */

export interface ClaimRules {
  /** The file's mtime must be at least this old. */
  minAgeMs: number;
  /** A stable file that still fails the structural check is handed over after this long (to be quarantined). */
  stuckMs: number;
}

interface Sighting {
  size: number;
  mtimeMs: number;
  /** When this size/mtime was first seen. */
  since: number;
}

export type ClaimVerdict = "claim" | "wait";

/** Remembers what each pending file looked like at the last scan. */
export class ClaimTracker {
  #seen = new Map<string, Sighting>();

  constructor(private rules: ClaimRules) {}

  /** Whether `path`, seen now with this size and mtime, may be read. */
  async check(path: string, size: number, mtimeMs: number, now: number): Promise<ClaimVerdict> {
    const last = this.#seen.get(path);
    if (!last || last.size !== size || last.mtimeMs !== mtimeMs) {
      this.#seen.set(path, { size, mtimeMs, since: now });
      return "wait";
    }
    // An mtime in the future (a station's clock ahead of ours) says nothing about age: the time the file
    // has looked the same does. Waiting for the clock to pass it left such files unclaimed for good.
    const age = mtimeMs > now ? now - last.since : now - mtimeMs;
    if (age < this.rules.minAgeMs) return "wait";
    const whole = await structurallyWhole(path, size);
    if (whole === null) return "claim";
    return now - last.since >= this.rules.stuckMs ? "claim" : "wait";
  }

  /** Forgets a file (claimed, or gone from the inbox). */
  forget(path: string): void {
    this.#seen.delete(path);
  }

  /** Files seen but not yet claimed. */
  get pending(): number {
    return this.#seen.size;
  }

  /** Drops files that were not seen in the latest scan. */
  retainOnly(paths: Set<string>): void {
    for (const p of this.#seen.keys()) if (!paths.has(p)) this.#seen.delete(p);
  }
}

const CFB_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const EOCD = [0x50, 0x4b, 0x05, 0x06];
/** The EOCD record is 22 bytes plus a comment of at most 65,535. */
const EOCD_SEARCH = 22 + 65_535;

/** `null` when the file looks complete, else why not. Opening it also proves it is not locked. */
export async function structurallyWhole(path: string, size: number): Promise<string | null> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    return `cannot open: ${(e as Error).message}`;
  }
  try {
    if (size < 8) return "shorter than any workbook";
    const head = await readAt(file, 0, Math.min(512, size));
    if (CFB_MAGIC.every((b, i) => head[i] === b)) {
      return compoundFileProblem(head, size) ?? await usedSectorsProblem(file, head, size);
    }
    if (head[0] === 0x50 && head[1] === 0x4b) {
      const from = Math.max(0, size - EOCD_SEARCH);
      const tail = await readAt(file, from, size - from);
      for (let i = tail.length - 22; i >= 0; i--) {
        if (EOCD.every((b, k) => tail[i + k] === b)) return null;
      }
      return "zip has no end-of-central-directory record yet";
    }
    // Neither format: complete or not, the pipeline will quarantine it with the right reason.
    return null;
  } finally {
    file.close();
  }
}

/** Checks that the sectors the header names (directory, mini-FAT, first FAT sectors) are inside the file. */
function compoundFileProblem(head: Uint8Array, size: number): string | null {
  if (head.length < 512) return "compound-file header incomplete";
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const sectorShift = v.getUint16(30, true);
  if (sectorShift !== 9 && sectorShift !== 12) return `bad sector size 2^${sectorShift}`;
  const sector = 1 << sectorShift;
  const sectors = [v.getUint32(48, true), v.getUint32(60, true)];
  const fatCount = v.getUint32(44, true);
  for (let i = 0; i < Math.min(fatCount, 109); i++) sectors.push(v.getUint32(76 + i * 4, true));
  for (const s of sectors) {
    if (s >= 0xfffffffa) continue; // end-of-chain and free markers
    const end = Math.max(sector, 512) + (s + 1) * sector;
    if (end > size) return `sector ${s} lies past the end of the file (${size} bytes so far)`;
  }
  return null;
}

/**
 * Every sector the allocation table marks as used must be in the file: a copy cut short fails this even
 * when the header and the table themselves sit at its start.
 */
async function usedSectorsProblem(file: Deno.FsFile, head: Uint8Array, size: number): Promise<string | null> {
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const sector = 1 << v.getUint16(30, true);
  const fatCount = Math.min(v.getUint32(44, true), 109);
  let highest = -1;
  for (let i = 0; i < fatCount; i++) {
    const fatSector = v.getUint32(76 + i * 4, true);
    const fat = await readAt(file, (fatSector + 1) * sector, sector);
    const entries = new DataView(fat.buffer, fat.byteOffset, fat.byteLength);
    for (let k = 0; k < fat.length / 4; k++) {
      // A link k → next proves both sectors are used; end-of-chain and free markers prove nothing
      // (some writers fill unused entries with end-of-chain).
      const next = entries.getUint32(k * 4, true);
      if (next < 0xfffffffa) highest = Math.max(highest, i * (sector / 4) + k, next);
    }
  }
  const needed = (highest + 2) * sector;
  return needed > size
    ? `allocation table uses sector ${highest}: ${needed} bytes expected, ${size} so far`
    : null;
}

async function readAt(file: Deno.FsFile, offset: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  await file.seek(offset, Deno.SeekMode.Start);
  let got = 0;
  while (got < length) {
    const n = await file.read(buf.subarray(got));
    if (n === null) break;
    got += n;
  }
  return buf.subarray(0, got);
}
