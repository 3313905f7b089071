/**
 * The `.xls` shared string table (SST). Strings may cross into CONTINUE records; a string's characters
 * resume after a fresh flag byte there, while run and extension data continue without one.
 */
import { ReadError } from "./workbook.ts";
import { biffChars, REC } from "./xls_records.ts";

/** Reads bytes across the SST record and its CONTINUE records as one sequence. */
class SegmentCursor {
  seg = 0;
  at: number;

  constructor(readonly stream: Uint8Array, readonly segments: Array<[number, number]>) {
    this.at = segments[0][0];
  }

  get done(): boolean {
    return this.seg >= this.segments.length;
  }

  /** Moves past segments that are used up. */
  advance(): void {
    while (this.seg < this.segments.length && this.at >= this.segments[this.seg][1]) {
      this.seg++;
      if (this.seg < this.segments.length) this.at = this.segments[this.seg][0];
    }
  }

  skip(n: number): void {
    while (n > 0) {
      this.advance();
      if (this.done) return;
      const take = Math.min(n, this.segments[this.seg][1] - this.at);
      this.at += take;
      n -= take;
    }
  }

  u8(): number {
    this.advance();
    return this.stream[this.at++];
  }

  u16(): number {
    return this.u8() | (this.u8() << 8);
  }

  u32(): number {
    return (this.u16() | (this.u16() << 16)) >>> 0;
  }

  /** `count` characters that may continue in the next records, each continuation with its own flag byte. */
  chars(count: number, high: boolean, what: () => string): string {
    let left = count;
    let text = "";
    while (left > 0) {
      if (this.at >= this.segments[this.seg][1]) {
        this.seg++;
        if (this.done) break;
        this.at = this.segments[this.seg][0];
        high = (this.stream[this.at++] & 1) === 1;
      }
      const fit = Math.min(left, Math.floor((this.segments[this.seg][1] - this.at) / (high ? 2 : 1)));
      // A two-byte character never straddles records: one odd byte left means the table is damaged, and
      // without this the loop would take nothing from it forever.
      if (fit === 0) {
        throw new ReadError("corrupt_file", `${what()} splits a two-byte character across records`);
      }
      text += biffChars(this.stream, this.at, fit, high);
      this.at += fit * (high ? 2 : 1);
      left -= fit;
    }
    return text;
  }
}

/** The SST record at `start` and its CONTINUE records: the strings, and the offset after the last record. */
export function readSharedStrings(
  stream: Uint8Array,
  view: DataView,
  start: number,
  name: string,
): { strings: string[]; end: number } {
  const segments: Array<[number, number]> = [];
  let pos = start;
  do {
    const len = view.getUint16(pos + 2, true);
    segments.push([pos + 4, pos + 4 + len]);
    pos += 4 + len;
  } while (pos + 4 <= stream.length && view.getUint16(pos, true) === REC.CONTINUE);

  const unique = view.getUint32(segments[0][0] + 4, true);
  const cursor = new SegmentCursor(stream, segments);
  cursor.at += 8;
  const strings: string[] = [];
  for (let i = 0; i < unique; i++) {
    cursor.advance();
    if (cursor.done) break;
    const cch = cursor.u16();
    const flags = cursor.u8();
    const runs = flags & 0x08 ? cursor.u16() : 0;
    const ext = flags & 0x04 ? cursor.u32() : 0;
    strings.push(cursor.chars(cch, (flags & 1) === 1, () => `${name}: shared string ${i + 1} of ${unique}`));
    cursor.skip(runs * 4 + ext);
  }
  return { strings, end: pos };
}
