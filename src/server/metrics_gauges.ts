/** The service's gauges for `/metrics`, beside the counters `Metrics` keeps. */
import type { ServiceView } from "./context.ts";

export interface Gauge {
  name: string;
  help: string;
  value: number;
  labels?: Record<string, string>;
}

/** The gauges now: queue, memory, pauses, retries, uptime, each nightly job's last run, open alarms. */
export function serviceGauges(
  view: ServiceView,
  runs: Record<string, unknown>[],
  openAlarms: Record<string, unknown>[] = [],
): Gauge[] {
  return [...ingestGauges(view), ...memoryGauges(view), ...jobGauges(runs), ...alarmGauges(openAlarms)];
}

/** Open alarms per kind, model, station and severity, so monitoring can page someone. */
function alarmGauges(open: Record<string, unknown>[]): Gauge[] {
  return open.map((a) => ({
    name: "lta_alarms_open",
    help: "Alarms neither acknowledged nor cleared.",
    value: Number(a.open),
    labels: {
      kind: String(a.kind),
      model: String(a.model),
      metric: String(a.metric),
      station: String(a.station),
      severity: String(a.severity),
    },
  }));
}

function ingestGauges(view: ServiceView): Gauge[] {
  return [
    { name: "lta_queue_depth", help: "Files seen in the inbox, not yet finished.", value: view.pending() },
    ...(["disk_full", "read_only"] as const).map((reason) => ({
      name: "lta_ingest_paused",
      help: "1 while claiming is paused for storage that cannot take writes.",
      value: view.pause.current?.code === reason ? 1 : 0,
      labels: { reason },
    })),
    ...Object.entries(view.retries.counts()).map(([code, n]) => ({
      name: "lta_files_waiting",
      help: "Files waiting out a backoff after a failure that was not the file's fault.",
      value: n,
      labels: { code },
    })),
    { name: "lta_uptime_seconds", help: "Seconds since start.", value: (Date.now() - view.startedAt) / 1000 },
  ];
}

function memoryGauges(view: ServiceView): Gauge[] {
  const mem = Deno.memoryUsage();
  return [
    { name: "lta_rss_bytes", help: "Resident set size.", value: mem.rss },
    { name: "lta_memory_budget_bytes", help: "The memory budget.", value: view.gate.budgetBytes },
    ...(["ok", "pressure", "critical"] as const).map((state) => ({
      name: "lta_memory_state",
      help: "1 for the memory gate's current state.",
      value: view.gate.state === state ? 1 : 0,
      labels: { state },
    })),
    {
      name: "lta_memory_over_budget_admissions",
      help: "Files let through over budget because nothing else could free memory.",
      value: view.gate.overBudgetAdmissions,
    },
    { name: "lta_heap_used_bytes", help: "V8 heap in use.", value: mem.heapUsed },
    {
      name: "lta_external_bytes",
      help: "Memory outside the V8 heap held by JS objects.",
      value: mem.external,
    },
  ];
}

function jobGauges(runs: Record<string, unknown>[]): Gauge[] {
  return runs.flatMap((r): Gauge[] => [
    {
      name: "lta_job_last_ok",
      help: "1 if the job's last run succeeded.",
      value: r.status === "ok" ? 1 : 0,
      labels: { job: String(r.job), status: String(r.status) },
    },
    {
      name: "lta_job_last_finished_seconds",
      help: "When the job's last run finished (Unix time).",
      value: Number(r.finished ?? 0),
      labels: { job: String(r.job) },
    },
  ]);
}
