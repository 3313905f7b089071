/**
 * Files are read in a child process, so a slow or hostile file cannot starve the service's event loop
 * (`/health`, the HTTP API, the schedule) nor its memory: the child has a deadline that grows with the
 * file's size and a memory allowance, and is killed when it runs past either; the file is quarantined
 * (`parse_timeout`, `too_large`) and a fresh child takes the next one. Not a Deno Worker: Deno 2.9's
 * `terminate()` does not stop a worker busy in JavaScript (it ran on to a 4 GB fatal OOM that took the
 * whole process down, measured; denoland/deno PR 35657 is open), and `cfb`, given two directory entries
 * that are each other's sibling, spends 8.6 s and 2.6 GB in one synchronous call.
 */
import type { ParsedFile, ReadRequest } from "./parsed.ts";
import { ReadError } from "./readers/workbook.ts";
import { frames, writeFrame } from "./parse_frames.ts";

export interface ReadLimits {
  /** The deadline for any file. */
  baseTimeoutMs: number;
  /** Added to the deadline per MB of file. */
  timeoutMsPerMb: number;
  /** The child's memory (RSS, and its V8 heap) at which a read is stopped. */
  maxRssBytes: number;
  /** What the next read may take, when less than `maxRssBytes` (what the budget leaves the child now). */
  allowance?: () => number;
}

interface Reply {
  id: number;
  parsed?: ParsedFile;
  error?: { code: string | null; message: string };
}

interface Pending {
  id: number;
  resolve(parsed: ParsedFile): void;
  reject(e: Error): void;
}

const CHILD = new URL("./parse_child.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
/**
 * How often the child's memory is looked at while it reads: a runaway reader allocated ~2 MB a
 * millisecond (measured), so this bounds the overshoot to a few tens of MB.
 */
const WATCH_MS = 10;

export class ParseProcess {
  #child: Deno.ChildProcess | null = null;
  #writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  #pending: Pending | null = null;
  /** Why the child was killed, for the read it was killed in. */
  #killedFor: Error | null = null;
  #stderr = "";
  #next = 1;
  #queue: Promise<unknown> = Promise.resolve();
  /** Children killed or lost (a file that ran out of time or memory, or crashed the reader). */
  restarts = 0;

  /** Starts the child at once: its start (~0.2 s) overlaps whatever the caller opens meanwhile. */
  constructor(private readonly limits: ReadLimits) {
    this.#spawn();
  }

  /** Reads one file in the child; files queue, one at a time. */
  read = (request: ReadRequest): Promise<ParsedFile> => {
    const run = this.#queue.then(() => this.#read(request), () => this.#read(request));
    this.#queue = run.catch(() => {});
    return run;
  };

  #spawn(): void {
    // The heap limit is the backstop where there is no /proc to watch: at the allowance itself, V8's
    // collector thrashed (a 1,000,000-row read took 9.4 s instead of 3.0).
    const heapMb = Math.max(128, Math.round((2 * this.limits.maxRssBytes) / 1e6));
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-env",
        "--no-prompt",
        `--config=${CONFIG}`,
        `--v8-flags=--max-old-space-size=${heapMb},--max-semi-space-size=2,--expose-gc`,
        CHILD,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#stderr = "";
    (async () => {
      for await (const reply of frames(child.stdout)) this.#answer(reply as Reply);
    })().catch(() => {});
    (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        this.#stderr = (this.#stderr + chunk).slice(-2000);
      }
    })().catch(() => {});
    child.status.then((status) => this.#exited(child, status));
  }

  #answer(reply: Reply): void {
    const pending = this.#pending;
    if (!pending || pending.id !== reply.id) return;
    this.#pending = null;
    if (reply.parsed) pending.resolve(reply.parsed);
    else if (reply.error?.code) {
      pending.reject(new ReadError(reply.error.code as ReadError["code"], reply.error.message));
    } else pending.reject(new Error(reply.error?.message ?? "the parse process answered nothing"));
  }

  /** The child is gone: the read it had fails, and the next read starts a new one. */
  #exited(child: Deno.ChildProcess, status: Deno.CommandStatus): void {
    if (this.#child !== child) return;
    this.#child = null;
    this.#writer = null;
    const pending = this.#pending;
    this.#pending = null;
    if (!pending) return;
    this.restarts++;
    const outOfMemory = /out of memory|heap limit/i.test(this.#stderr);
    pending.reject(
      this.#killedFor ??
        (outOfMemory ? new ReadError("too_large", "reading it exhausted the reader's memory") : new ReadError(
          "corrupt_file",
          `the reader crashed on it (exit ${status.code}${status.signal ? `, ${status.signal}` : ""})`,
        )),
    );
    this.#killedFor = null;
  }

  async #read(request: ReadRequest): Promise<ParsedFile> {
    if (!this.#child) this.#spawn();
    const child = this.#child!;
    const id = this.#next++;
    const { baseTimeoutMs, timeoutMsPerMb, maxRssBytes } = this.limits;
    const allowed = Math.min(maxRssBytes, this.limits.allowance?.() ?? maxRssBytes);
    const deadlineMs = Math.round(baseTimeoutMs + (request.size / 1e6) * timeoutMsPerMb);
    const kill = (why: Error) => {
      if (this.#child !== child || this.#killedFor) return;
      this.#killedFor = why;
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    };
    const timer = setTimeout(() =>
      kill(
        new ReadError(
          "parse_timeout",
          `${request.fileName}: reading it took longer than ${
            deadlineMs / 1000
          } s (the limit for a file of ` +
            `${(request.size / 1e6).toFixed(1)} MB); it was stopped`,
        ),
      ), deadlineMs);
    const watch = setInterval(async () => {
      const rss = await childRss(child.pid);
      if (rss > allowed) {
        kill(
          new ReadError(
            "too_large",
            `${request.fileName}: reading it needed over ${Math.round(allowed / 1e6)} MB; it was stopped`,
          ),
        );
      }
    }, WATCH_MS);
    try {
      const answer = new Promise<ParsedFile>((resolve, reject) => (this.#pending = { id, resolve, reject }));
      const writer = this.#writer!;
      await writeFrame({ write: async (p) => (await writer.write(p), p.length) }, { id, request })
        .catch(() => {}); // a child that died mid-write answers through #exited
      const parsed = await answer;
      // V8 and malloc keep what a big read took: a child left above half its allowance would fail the
      // next big file for memory it no longer uses, so it is replaced (about 0.2 s, after big files only).
      if (await childRss(child.pid) > maxRssBytes / 2) this.#retire(child);
      return parsed;
    } catch (e) {
      // The child's messages do not name the file; the watchdog's do.
      if (e instanceof ReadError && !e.message.startsWith(request.fileName)) {
        throw new ReadError(e.code, `${request.fileName}: ${e.message}`);
      }
      throw e;
    } finally {
      clearTimeout(timer);
      clearInterval(watch);
    }
  }

  /** Lets `child` finish and exit; the next read starts a new one. */
  #retire(child: Deno.ChildProcess): void {
    if (this.#child !== child) return;
    const writer = this.#writer;
    this.#child = null;
    this.#writer = null;
    writer?.close().catch(() => {});
  }

  /** Ends the child (closing its input lets it finish and exit). */
  async close(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child) return;
    await this.#writer?.close().catch(() => {});
    const exited = await Promise.race([child.status, new Promise((r) => setTimeout(() => r(null), 2000))]);
    if (exited === null) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
    }
  }
}

/** The resident memory of process `pid` (Linux; 0 where /proc is not there, leaving the V8 heap limit). */
async function childRss(pid: number): Promise<number> {
  try {
    const statm = await Deno.readTextFile(`/proc/${pid}/statm`);
    return Number(statm.split(" ")[1]) * 4096;
  } catch {
    return 0;
  }
}
