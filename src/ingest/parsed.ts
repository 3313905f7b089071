/**
 * What reading a file produces, and the little the loader needs to know of it without loading the readers
 * (cfb, yauzl, htmlparser2 and Deno's node compatibility for zlib and streams: ~30 MB of RSS, measured):
 * the service reads files in its parse process and need not hold them.
 */
import type { ParsedWorkbook } from "./layouts/trim_layout.ts";
import type { ParsedFinalTest } from "./layouts/final_test_layout.ts";
import type { StageData } from "./layouts/columns.ts";

/** What a readable file held: trim data or a Final Test. */
export type ParsedFile = ParsedWorkbook | ParsedFinalTest;

/** The first bytes of a compound file (`.xls`). */
export const CFB_MAGIC = [0xd0, 0xcf, 0x11, 0xe0];
/** The first bytes of a zip (`.xlsx`). */
export const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/** What reading a file needs: where it is, its name, its first bytes and, for a compound file, all of them. */
export interface ReadRequest {
  path: string;
  fileName: string;
  head: Uint8Array;
  whole: Uint8Array | null;
  size: number;
}

/** Every stage of every track, with the stage name it is stored under. */
export function stagesOf(parsed: ParsedFile): Array<{ trackId: string; stage: string; data: StageData }> {
  if (parsed.kind === "final_test") {
    return parsed.tracks.map((t) => ({ trackId: t.trackId, stage: "final", data: t.points }));
  }
  return parsed.tracks.flatMap((t) => [
    ...(t.untrimmed ? [{ trackId: t.trackId, stage: "untrimmed", data: t.untrimmed }] : []),
    ...(t.trimmed ? [{ trackId: t.trackId, stage: "trimmed", data: t.trimmed }] : []),
  ]);
}

export function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}
