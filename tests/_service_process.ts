/**
 * `lta serve` as a process of its own, as a plant runs it, and the CLI beside it: the single-writer tests
 * must never open the database in the test process while the service holds it.
 */
import { join } from "node:path";
import { stateFilePath } from "../src/server/state_file.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const PROBE = new URL("./_open_probe.ts", import.meta.url).pathname;

/** The environment for child processes: no Rust backtraces, no colour. */
function childEnv(home?: string): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.RUST_BACKTRACE;
  // Another user needs a cache and home of its own (root's are not readable to it).
  const own: Record<string, string> = home ? { HOME: home, DENO_DIR: `${home}/.deno` } : {};
  return { ...env, NO_COLOR: "1", MALLOC_ARENA_MAX: "1", ...own };
}

/** Runs as `nobody` (with `home` for its files) instead of the test's user, for what root may always do. */
export interface AsUser {
  user: "nobody";
  home: string;
}

/**
 * A copy of this Deno in `as.home` that the other user may run: under `npx deno`, the binary sits below
 * root's home, which nobody else may enter (lta starts its parse process from `Deno.execPath()`).
 */
function denoFor(as: AsUser): string {
  const copy = `${as.home}/deno`;
  try {
    Deno.statSync(copy);
  } catch {
    Deno.copyFileSync(Deno.execPath(), copy);
    Deno.chmodSync(copy, 0o755);
  }
  return copy;
}

/** Starts `lta ARGS --config FILE` (as `as.user` when given), its output piped. */
function spawnLta(args: string[], configFile: string, as?: AsUser): Deno.ChildProcess {
  // Another user has an empty Deno cache: told to take npm packages from node_modules as they are, its
  // Deno does not download them again (it did under `npx deno task test`).
  const deno = [
    "run",
    "-A",
    ...(as ? ["--node-modules-dir=manual"] : []),
    MAIN,
    ...args,
    "--config",
    configFile,
  ];
  const [program, programArgs] = as
    ? ["setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", denoFor(as), ...deno]]
    : [Deno.execPath(), deno];
  return new Deno.Command(program, {
    args: programArgs,
    env: childEnv(as?.home),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** A service folder: inbox, data, quarantine, reports, exports, and the config file naming them. */
export async function serviceFolder(extra: Record<string, unknown> = {}) {
  const root = await Deno.makeTempDir({ prefix: "lta-writer-" });
  const settings = {
    db: join(root, "data", "lta.duckdb"),
    inbox: join(root, "inbox"),
    quarantineDir: join(root, "quarantine"),
    archiveDir: join(root, "archive"),
    reportsDir: join(root, "reports"),
    exportDir: join(root, "exports"),
    httpPort: 0,
    pollSeconds: 0.2,
    minAgeSeconds: 0.3,
    timeZone: "UTC",
    logFormat: "json",
    ...extra,
  };
  await Deno.mkdir(settings.inbox, { recursive: true });
  const configFile = join(root, "lta.json");
  await Deno.writeTextFile(configFile, JSON.stringify(settings));
  return { root, configFile, ...settings };
}

export interface RunningService {
  base: string;
  pid: number;
  /** Everything the service logged so far, one JSON event a line. */
  log(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
  /** kill -9, as a power cut or the OOM killer would, and wait for the process to be gone. */
  kill(): Promise<void>;
}

/** Starts `lta serve --config FILE` and waits until it answers. */
export async function startService(configFile: string, db: string, as?: AsUser): Promise<RunningService> {
  const child = spawnLta(["serve"], configFile, as);
  let text = "";
  const decoder = new TextDecoder();
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += decoder.decode(chunk);
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const end = Date.now() + 30_000;
  let base = "";
  while (!base) {
    if (Date.now() > end) {
      child.kill("SIGKILL");
      throw new Error(`the service did not start: ${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
    try {
      const state = JSON.parse(await Deno.readTextFile(stateFilePath(db)));
      const res = await fetch(`http://${state.host}:${state.port}/health`);
      await res.body?.cancel();
      if (res.ok) base = `http://${state.host}:${state.port}`;
    } catch { /* not yet */ }
  }
  return {
    base,
    pid: child.pid,
    log: () => text,
    stop: async () => {
      child.kill("SIGTERM");
      // A service that does not stop within 30 s is killed, and the test sees code -1.
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const status = await child.status;
      clearTimeout(timer);
      await drained;
      return status.signal === "SIGKILL" ? -1 : status.code;
    },
    kill: async () => {
      child.kill("SIGKILL");
      await child.status;
      await drained;
    },
  };
}

/**
 * Runs `lta ARGS --config FILE`; its exit code, stdout and stderr. One still running after `ms` is killed
 * (code -1): a test fails with what it printed instead of hanging.
 */
export async function lta(args: string[], configFile: string, ms = 120_000, as?: AsUser) {
  const child = spawnLta(args, configFile, as);
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  const out = await child.output();
  clearTimeout(timer);
  const decoder = new TextDecoder();
  return {
    code: out.signal === "SIGKILL" ? -1 : out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** What a second process gets when it opens `db` read-only and read-write. */
export async function probeOpen(db: string): Promise<{ readOnly: string; readWrite: string }> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", PROBE, db], env: childEnv() })
    .output();
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Polls `test` every 100 ms until it holds. */
export async function until(
  what: string,
  test: () => boolean | Promise<boolean>,
  ms = 30_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** POSTs one reading statement to the service's `/api/query`, as the CLI does. */
export function postQuery(base: string, sql: string): Promise<Response> {
  return fetch(`${base}/api/query`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sql }),
  });
}

/** The rows of `sql` through the service; a refused or failed query throws with its status. */
export async function serviceRows(base: string, sql: string): Promise<Record<string, unknown>[]> {
  const res = await postQuery(base, sql);
  if (!res.ok) throw new Error(`query failed: ${res.status} ${await res.text()}`);
  return (await res.json()).rows;
}

/**
 * Loaded files in the service's ledger. Under a load of readers pass `whenBusy`: an answer that is not
 * OK (503 from the reader queue) then counts as that instead of failing.
 */
export async function loadedFiles(base: string, whenBusy?: number): Promise<number> {
  const sql = "SELECT count(*) AS n FROM files WHERE status = 'loaded'";
  if (whenBusy === undefined) return Number((await serviceRows(base, sql))[0].n);
  const res = await postQuery(base, sql);
  if (!res.ok) {
    await res.body?.cancel();
    return whenBusy;
  }
  return Number((await res.json()).rows[0].n);
}
