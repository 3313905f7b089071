/** Shared by the benchmarks: a child process timed, with its peak RSS. */

/** The environment deno.json's `start` and `lta` tasks give lta (one malloc arena: docs/memory.md). */
export const TASK_ENV = { MALLOC_ARENA_MAX: "1" };

/**
 * The resident memory of process `pid` and every process below it, in bytes: lta reads files in a child
 * process, whose memory is lta's too.
 */
export function treeRss(pid: number): number {
  let bytes = 0;
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    bytes = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
    const children = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim();
    for (const child of children ? children.split(/\s+/) : []) bytes += treeRss(Number(child));
  } catch { /* exited */ }
  return bytes;
}

/**
 * Runs a command, sampling its peak RSS every 20 ms: the larger of its own VmHWM and the sum over it and
 * its child processes.
 */
export async function measure(cmd: string, cmdArgs: string[], env: Record<string, string> = {}) {
  const started = performance.now();
  const child = new Deno.Command(cmd, { args: cmdArgs, env, stdout: "piped", stderr: "piped" }).spawn();
  let peakKb = 0;
  const timer = setInterval(() => {
    try {
      const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
      peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0), treeRss(child.pid) / 1024);
    } catch { /* exited */ }
  }, 20);
  const out = await child.output();
  clearInterval(timer);
  const seconds = (performance.now() - started) / 1000;
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (out.code !== 0) throw new Error(`${cmd} ${cmdArgs.join(" ")} failed:\n${text}`);
  // Decimal MB (10^6 bytes), as every figure the benchmarks print.
  return { seconds, peakMb: (peakKb * 1024) / 1e6, text };
}

/** Runs a bench script beside this file under Deno; its last line of output is one JSON object. */
export async function benchScript(
  script: string,
  args: string[] = [],
  // deno-lint-ignore no-explicit-any
): Promise<{ seconds: number; peakMb: number; json: any }> {
  const run = await measure(Deno.execPath(), [
    "run",
    "--allow-all",
    new URL(`./${script}`, import.meta.url).pathname,
    ...args,
  ]);
  return { seconds: run.seconds, peakMb: run.peakMb, json: JSON.parse(run.text.trim().split("\n").at(-1)!) };
}
