/** What the CLI prints besides its results: messages on stderr and a progress bar on a terminal. */
import cliProgress from "cli-progress";
import { errorLine } from "../log.ts";

/** Prints to stderr, so stdout stays clean for query output and SVG. */
export function log(message: string): void {
  errorLine(message);
}

export interface ProgressBar {
  update(done: number, total?: number): void;
  stop(): void;
}

/** A progress bar on stderr when it is a terminal (nothing elsewhere); `total` may come with the first update. */
export function progressBar(total: number, label: string): ProgressBar {
  if (!Deno.stderr.isTerminal()) return { update() {}, stop() {} };
  let bar: cliProgress.SingleBar | null = null;
  const start = (n: number) => {
    bar = new cliProgress.SingleBar({
      format: `${label} [{bar}] {value}/{total} {percentage}% eta {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
    }, cliProgress.Presets.shades_classic);
    bar.start(n, 0);
  };
  if (total >= 2) start(total);
  return {
    update: (done, newTotal) => {
      if (!bar && (newTotal ?? 0) >= 2) start(newTotal!);
      (bar as cliProgress.SingleBar | null)?.update(done);
    },
    stop: () => (bar as cliProgress.SingleBar | null)?.stop(),
  };
}
