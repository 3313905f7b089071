/**
 * The parse process: reads one workbook at a time for the lta process that started it (`parse_process.ts`),
 * which sends requests on stdin, reads answers on stdout, and kills this process when a file runs past its
 * deadline or memory allowance. Nothing here touches the database.
 */
import { type ReadRequest, readWorkbookFile } from "./read_file.ts";
import { ReadError } from "./readers/workbook.ts";
import { frames, writeFrame } from "./parse_frames.ts";

const gc = (globalThis as { gc?: () => void }).gc;
/** Files from this size on leave grids of tens of MB behind: collected at once, not when V8 gets to it. */
const COLLECT_AFTER_BYTES = 1_000_000;

for await (const message of frames(Deno.stdin.readable)) {
  const { id, request } = message as { id: number; request: ReadRequest };
  let answer: unknown;
  try {
    answer = { id, parsed: await readWorkbookFile(request) };
  } catch (e) {
    answer = { id, error: { code: e instanceof ReadError ? e.code : null, message: (e as Error).message } };
  }
  await writeFrame(Deno.stdout, answer);
  answer = null;
  if (request.size >= COLLECT_AFTER_BYTES) gc?.();
}
