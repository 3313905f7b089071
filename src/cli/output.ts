/** What the CLI prints besides its results: messages on stderr and a progress bar on a terminal. */
import cliProgress from "cli-progress";
import { errorLine, setMessageSink } from "../log.ts";

/** Prints to stderr, so stdout stays clean for query output and SVG. */
export function log(message: string): void {
  errorLine(message);
}

export interface ProgressBar {
  update(done: number, total?: number): void;
  stop(): void;
}

/**
 * A progress bar on stderr when it is a terminal (nothing elsewhere); `total` may come with the first update.
 * While it shows, every message and log line is printed above it (a line written beside the bar was glued
 * onto it, and the bar's redraw then wrote over what followed), and when it stops the bar stays as the last
 * line before the command's summary.
 */
export function progressBar(total: number, label: string): ProgressBar {
  if (!Deno.stderr.isTerminal()) return { update() {}, stop() {} };
  let multi: cliProgress.MultiBar | null = null;
  let bar: cliProgress.SingleBar | null = null;
  let restore: ((line: string) => void) | null = null;
  const start = (n: number) => {
    multi = new cliProgress.MultiBar({
      format: `${label} [{bar}] {value}/{total} {percentage}% eta {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      // Messages above the bar wrap instead of being cut at the terminal's width.
      linewrap: true,
    }, cliProgress.Presets.shades_classic);
    bar = multi.create(n, 0);
    const shown = multi;
    restore = setMessageSink((line) => shown.log(`${line}\n`));
  };
  if (total >= 2) start(total);
  return {
    update: (done, newTotal) => {
      if (!bar && (newTotal ?? 0) >= 2) start(newTotal!);
      (bar as cliProgress.SingleBar | null)?.update(done);
    },
    stop: () => {
      if (restore) setMessageSink(restore);
      const shown = multi as cliProgress.MultiBar | null;
      // Lines logged since the last redraw are printed by the next one; stop() alone would drop them.
      shown?.update();
      shown?.stop();
    },
  };
}
