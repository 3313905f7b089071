/**
 * Service logs: one JSON object per line (for log shippers and `jq`), or a readable line on a terminal.
 * Every event has a name; file events carry the path, hash, reason code and timings.
 */

export type LogFormat = "json" | "pretty";
export type LogLevel = "info" | "warn" | "error";

export interface Logger {
  event(name: string, fields?: Record<string, unknown>, level?: LogLevel): void;
}

/** A logger writing to stderr; `auto` picks pretty on a terminal and JSON lines otherwise. */
export function createLogger(format: "auto" | LogFormat, write: (line: string) => void = errorLine): Logger {
  const pretty = format === "pretty" || (format === "auto" && Deno.stderr.isTerminal());
  return {
    event(name, fields = {}, level = "info") {
      const time = new Date().toISOString();
      if (!pretty) {
        write(JSON.stringify({ time, level, event: name, ...fields }));
        return;
      }
      const detail = Object.entries(fields)
        .filter(([, v]) => v !== undefined && v !== null)
        .map(([k, v]) => `${k}=${typeof v === "string" && !/\s/.test(v) ? v : JSON.stringify(v)}`)
        .join(" ");
      write(
        `${time.slice(11, 19)} ${level === "info" ? "" : `${level.toUpperCase()} `}${name} ${detail}`
          .trimEnd(),
      );
    },
  };
}

let sink: (line: string) => void = (line) => console.error(line);

/**
 * Where log lines and CLI messages go: stderr, unless redirected. Tests that run commands in the test
 * process send them elsewhere, so a passing run prints only its test lines.
 */
export function setMessageSink(write: (line: string) => void): (line: string) => void {
  const previous = sink;
  sink = write;
  return previous;
}

/** One line to the message sink (stderr). */
export function errorLine(line: string): void {
  sink(line);
}
