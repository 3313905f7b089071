/**
 * Messages between lta and its parse process: each a 4-byte little-endian length and a V8-serialized value
 * (typed arrays cross as themselves, only the range a view covers).
 */
import v8 from "node:v8";

/** One message as its header and body, written one after the other (a 1M-row read's is 44 MB: no copy). */
export function frame(value: unknown): [Uint8Array, Uint8Array] {
  const body = v8.serialize(value);
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, body.length, true);
  return [header, body];
}

/** Writes a message. */
export async function writeFrame(
  writer: { write(p: Uint8Array): Promise<number> },
  value: unknown,
): Promise<void> {
  for (const part of frame(value)) await writeAll(writer, part);
}

/**
 * The messages in a byte stream, as they complete. Chunks are kept in a list and joined once a message is
 * whole: joining at every chunk copied a 44 MB message ~700 times.
 */
export async function* frames(stream: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  let chunks: Uint8Array[] = [];
  let held = 0;
  /** The whole message's length with its header, once the header has come. */
  let need = -1;
  for await (const chunk of stream) {
    chunks.push(chunk);
    held += chunk.length;
    while (held >= 4) {
      if (need < 0) {
        if (chunks[0].length < 4) chunks = [join(chunks, held)];
        need = 4 + new DataView(chunks[0].buffer, chunks[0].byteOffset, 4).getUint32(0, true);
      }
      if (held < need) break;
      const whole = chunks.length === 1 ? chunks[0] : join(chunks, held);
      yield v8.deserialize(whole.subarray(4, need));
      const rest = whole.subarray(need);
      chunks = rest.length ? [rest] : [];
      held = rest.length;
      need = -1;
    }
  }
}

function join(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Writes all of `bytes` (a pipe may take fewer at a time). */
export async function writeAll(
  writer: { write(p: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await writer.write(bytes.subarray(at));
}
