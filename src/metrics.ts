/**
 * The service's counters and the ingest latency histogram, kept in memory and printed in Prometheus text
 * format by `GET /metrics`. The service writes them; the HTTP layer only reads.
 */

const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  /** Files by outcome and reason code (`loaded`/``, `duplicate`/``, `quarantined`/`corrupt_file`, …). */
  readonly files = new Map<string, number>();
  rows = 0;
  readonly startedAt = Date.now();
  #latency = new Array(LATENCY_BUCKETS_S.length).fill(0);
  #latencyCount = 0;
  #latencySum = 0;

  /** Records one processed file. */
  fileDone(outcome: string, reason: string, rows: number, seconds: number): void {
    const key = `${outcome}\u0000${reason}`;
    this.files.set(key, (this.files.get(key) ?? 0) + 1);
    this.rows += rows;
    this.#latencyCount++;
    this.#latencySum += seconds;
    LATENCY_BUCKETS_S.forEach((b, i) => {
      if (seconds <= b) this.#latency[i]++;
    });
  }

  /** Prometheus text exposition; `gauges` adds values sampled at scrape time. */
  render(
    gauges: Array<{ name: string; help: string; value: number; labels?: Record<string, string> }>,
  ): string {
    const lines: string[] = [];
    const label = (labels: Record<string, string>) => {
      const parts = Object.entries(labels).map(([k, v]) =>
        `${k}="${v.replace(/["\\\n]/g, (c) => `\\${c === "\n" ? "n" : c}`)}"`
      );
      return parts.length ? `{${parts.join(",")}}` : "";
    };
    lines.push(
      "# HELP lta_files_total Files processed, by outcome and reason code.",
      "# TYPE lta_files_total counter",
    );
    for (const [key, n] of this.files) {
      const [outcome, reason] = key.split("\u0000");
      lines.push(`lta_files_total${label({ outcome, reason })} ${n}`);
    }
    lines.push(
      "# HELP lta_rows_total Points loaded.",
      "# TYPE lta_rows_total counter",
      `lta_rows_total ${this.rows}`,
    );
    lines.push(
      "# HELP lta_ingest_seconds Time from claim to commit per file.",
      "# TYPE lta_ingest_seconds histogram",
    );
    LATENCY_BUCKETS_S.forEach((b, i) =>
      lines.push(`lta_ingest_seconds_bucket{le="${b}"} ${this.#latency[i]}`)
    );
    lines.push(
      `lta_ingest_seconds_bucket{le="+Inf"} ${this.#latencyCount}`,
      `lta_ingest_seconds_sum ${this.#latencySum}`,
      `lta_ingest_seconds_count ${this.#latencyCount}`,
    );
    const seen = new Set<string>();
    for (const g of gauges) {
      if (!seen.has(g.name)) {
        lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`);
        seen.add(g.name);
      }
      lines.push(`${g.name}${label(g.labels ?? {})} ${g.value}`);
    }
    return lines.join("\n") + "\n";
  }
}
