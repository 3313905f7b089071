/** BIFF8 record ids and the value encodings the `.xls` reader decodes (characters, RK numbers). */

/** The records a trim file needs. */
export const REC = {
  FORMULA: 0x0006,
  EOF: 0x000a,
  FILEPASS: 0x002f,
  CONTINUE: 0x003c,
  BOUNDSHEET: 0x0085,
  MULRK: 0x00bd,
  SST: 0x00fc,
  LABELSST: 0x00fd,
  NUMBER: 0x0203,
  LABEL: 0x0204,
  BOOLERR: 0x0205,
  STRING: 0x0207,
  RK: 0x027e,
  BOF: 0x0809,
} as const;

/** `count` characters at `at`: one byte each, or two (UTF-16LE) when `high`. */
export function biffChars(stream: Uint8Array, at: number, count: number, high: boolean): string {
  let out = "";
  if (high) {
    for (let i = 0; i < count; i++) {
      out += String.fromCharCode(stream[at + 2 * i] | (stream[at + 2 * i + 1] << 8));
    }
  } else {
    for (let i = 0; i < count; i++) out += String.fromCharCode(stream[at + i]);
  }
  return out;
}

/** RK: a 30-bit integer or the high 30 bits of a double, optionally divided by 100. */
export function decodeRk(rk: number): number {
  let value: number;
  if (rk & 2) {
    value = rk >> 2;
  } else {
    RK_VIEW.setInt32(4, rk & ~3, true);
    RK_VIEW.setInt32(0, 0, true);
    value = RK_VIEW.getFloat64(0, true);
  }
  return rk & 1 ? value / 100 : value;
}

const RK_VIEW = new DataView(new ArrayBuffer(8));
