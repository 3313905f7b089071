/**
 * lta's settings: defaults < `LTA_*` environment < config file (JSON) < command-line flags, validated
 * once here. Nothing below `main.ts` reads the environment or the command line.
 */
import { isLoopback } from "./addresses.ts";
import type { OffsetSearch } from "../analyze/offset.ts";
import { ConfigError, convert, type Kind } from "./setting_kinds.ts";
import type { Channel } from "./notify_channels.ts";
import type { StationMap } from "../ingest/station.ts";
import type { WorkingHours } from "./working_hours.ts";

export { ConfigError };
export { readConfigFile } from "./config_file.ts";
export { DEFAULTS } from "./defaults.ts";
import { DEFAULTS } from "./defaults.ts";

export interface Config {
  /** The DuckDB database file. */
  db: string;
  /** The folder stations drop files into (watched recursively). */
  inbox: string;
  /** Unreadable files go here, one subfolder per reason code. */
  quarantineDir: string;
  quarantineMode: "move" | "copy";
  /** What happens to a source file once it is in the database. */
  afterLoad: "leave" | "archive" | "delete";
  /** With `afterLoad: archive`: files move to `<archiveDir>/<YYYY-MM-DD>/`. */
  archiveDir: string;
  reportsDir: string;
  /** Write each loaded track's chart to `<reportsDir>/files/<model>/<file>_<track>.svg`. */
  trackCharts: boolean;
  offsetSearch: OffsetSearch;
  /** A pass closer than this percentage of the band to a limit is a near miss. */
  nearMissPct: number;
  /** Seconds between polling scans of the inbox (file events are only a hint: shares do not send them). */
  pollSeconds: number;
  /** A file is claimed only when its mtime is at least this old and unchanged across two scans. */
  minAgeSeconds: number;
  /** A file that looks incomplete (no zip end record, sectors missing) but has not changed for this long is read anyway (and quarantined if it is damaged). */
  incompleteSeconds: number;
  /** A file's read may take this long, plus 2 s per MB of file, before it is stopped and quarantined (`parse_timeout`). */
  parseTimeoutSeconds: number;
  /**
   * Where files are read: `process` (a child process with a deadline and a memory allowance, killed when
   * a file runs past either) or `thread` (in the service itself: ~85 MB less, but a reader stuck in
   * synchronous code cannot be stopped).
   */
  parseIsolation: "process" | "thread";
  /** At start, read every block of the database once (a damaged file stops the service before any write). */
  verifyOnStart: boolean;
  /** Use the OS's file events as a hint between scans. */
  watchEvents: boolean;
  /** Nightly jobs, cron syntax (minute hour day month weekday) in `timeZone`. */
  nightlyCron: string;
  /** IANA time zone for `nightlyCron`, e.g. `Europe/Berlin`; the machine's zone by default. */
  timeZone: string;
  /** Runs missed while the service was down: none, the latest only, or all (at most `catchUpMax`). */
  catchUp: "none" | "latest" | "all";
  catchUpMax: number;
  /** `pretty` on a terminal, JSON lines otherwise (`auto`). */
  logFormat: "auto" | "json" | "pretty";
  /** Serve the HTTP API and live page from `lta serve`. */
  httpEnabled: boolean;
  /** Address to bind; anything but loopback needs `httpToken`. */
  httpHost: string;
  /** Port; 0 lets the OS pick a free one (written to the state file next to the database). */
  httpPort: number;
  /** Bearer token required on every request but /health (empty: none). */
  httpToken: string;
  /** A second token that may only read (pages, queries); writes need `httpToken`. */
  httpReadToken: string;
  /** Host names (beside IP addresses and `localhost`) that requests may address the service by. */
  httpAllowedHosts: string[];
  /** Snapshots and exports made on request, at most this many an hour (each is a copy of the history). */
  exportsPerHour: number;
  /** Snapshots of the database kept (oldest removed first). */
  snapshotKeep: number;
  /** Days an export the lake no longer reads (every file in it exported again since) is kept; 0: forever. */
  exportKeepDays: number;
  /** Rows returned at most by `POST /api/query`. */
  queryMaxRows: number;
  /** A query running longer is stopped. */
  queryTimeoutSeconds: number;
  /** API requests that read the database at once; more wait in line. */
  httpReaders: number;
  /** Requests that may wait in line; past that the API answers 503 with Retry-After. */
  httpReaderQueue: number;
  /** The share of the time API readers may hold the database while files are loading (the writer first). */
  httpReaderShare: number;
  /** Points per model that control limits and the drift baseline are computed from. */
  spcBaseline: number;
  /** Nelson rules (1–8) evaluated on sigma gradient. */
  nelsonRulesSigma: number[];
  /** Nelson rules (1–8) evaluated on linearity error. */
  nelsonRulesLinearity: number[];
  /** Rules of particular models instead, e.g. `{"8340-1": {"linearity_error": [1, 2]}}`. */
  nelsonRulesByModel: Record<string, Partial<Record<"sigma_gradient" | "linearity_error", number[]>>>;
  /** K of a rule where Minitab's default does not suit, e.g. `{"2": 7}` (seven points on one side). */
  nelsonK: Record<number, number>;
  /** Capability is not reported below this many samples. */
  capabilityMinN: number;
  /** The assignable causes an engineer picks from when acknowledging an alarm (free text goes beside). */
  alarmCauses: string[];
  /** Station and line of each inbox subfolder (or `re:` file-name pattern); default: the first subfolder. */
  stations: StationMap;
  /** A station silent this many working hours raises an alarm (0: never). */
  silenceHours: number;
  /** Working hours per weekday, when silence counts, e.g. `{"mon-fri": "06:00-22:00", "sat": "06:00-14:00"}`. */
  workingHours: WorkingHours;
  /** A quarantine alarm when more than this percentage of the last `quarantineRateFiles` files was quarantined. */
  quarantineRatePct: number;
  quarantineRateFiles: number;
  /** Memory critical for longer than this raises an alarm. */
  memoryAlarmMinutes: number;
  /** Where alarms are sent (webhooks, mail), each channel with its filters, quiet hours and digest. */
  notifyChannels: Channel[];
  /** The service's address as engineers open it, for the links in notifications (default: the bound one). */
  publicUrl: string;
  /** A failed notification is tried again after this, doubling each time (at most an hour). */
  notifyRetrySeconds: number;
  /** Attempts before a notification is given up (and shown as failed in the delivery log). */
  notifyMaxAttempts: number;
  /** Resident memory budget in MB for the service (0: min(512 MB, 25% of RAM)). */
  memoryBudgetMb: number;
  /**
   * When relief no longer brings RSS under the gate's pressure threshold (native memory the DuckDB binding
   * never frees), finish the file in hand and exit with code 75 for the service manager to restart.
   */
  recycle: boolean;
  /** This installation's name in Parquet exports, so a lake fed by many sites can tell them apart. */
  site: string;
  /** Where `lta export parquet` and the nightly export write their file sets. */
  exportDir: string;
  /** Run the Parquet export (what was loaded since the previous one) with the nightly jobs. */
  parquetNightly: boolean;
}

const KINDS: { [K in keyof Config]: Kind } = {
  db: { type: "path" },
  inbox: { type: "path" },
  quarantineDir: { type: "path" },
  quarantineMode: { type: "choice", values: ["move", "copy"] },
  afterLoad: { type: "choice", values: ["leave", "archive", "delete"] },
  archiveDir: { type: "path" },
  reportsDir: { type: "path" },
  trackCharts: { type: "boolean" },
  offsetSearch: { type: "choice", values: ["exact", "legacy"] },
  nearMissPct: { type: "number", min: 0, max: 100 },
  pollSeconds: { type: "number", min: 0.05, max: 3600 },
  minAgeSeconds: { type: "number", min: 0, max: 86_400 },
  incompleteSeconds: { type: "number", min: 0, max: 86_400 },
  parseTimeoutSeconds: { type: "number", min: 0.1, max: 86_400 },
  verifyOnStart: { type: "boolean" },
  parseIsolation: { type: "choice", values: ["process", "thread"] },
  watchEvents: { type: "boolean" },
  nightlyCron: { type: "cron" },
  timeZone: { type: "timeZone" },
  catchUp: { type: "choice", values: ["none", "latest", "all"] },
  catchUpMax: { type: "number", min: 1, max: 366 },
  logFormat: { type: "choice", values: ["auto", "json", "pretty"] },
  httpEnabled: { type: "boolean" },
  httpHost: { type: "text" },
  httpPort: { type: "number", min: 0, max: 65_535 },
  httpToken: { type: "text" },
  httpReadToken: { type: "text" },
  httpAllowedHosts: { type: "hostNames" },
  exportsPerHour: { type: "number", min: 1, max: 3600 },
  snapshotKeep: { type: "number", min: 1, max: 1000 },
  exportKeepDays: { type: "number", min: 0, max: 36_500 },
  httpReaders: { type: "number", min: 1, max: 256 },
  httpReaderQueue: { type: "number", min: 0, max: 100_000 },
  httpReaderShare: { type: "number", min: 0.01, max: 1 },
  queryMaxRows: { type: "number", min: 1, max: 10_000_000 },
  queryTimeoutSeconds: { type: "number", min: 0.01, max: 86_400 },
  spcBaseline: { type: "number", min: 5, max: 10_000 },
  nelsonRulesSigma: { type: "rules" },
  nelsonRulesLinearity: { type: "rules" },
  nelsonRulesByModel: { type: "modelRules" },
  nelsonK: { type: "ruleK" },
  capabilityMinN: { type: "number", min: 2, max: 100_000 },
  alarmCauses: { type: "phrases" },
  stations: { type: "stations" },
  silenceHours: { type: "number", min: 0, max: 720 },
  workingHours: { type: "workingHours" },
  quarantineRatePct: { type: "number", min: 0, max: 100 },
  quarantineRateFiles: { type: "number", min: 5, max: 100_000 },
  memoryAlarmMinutes: { type: "number", min: 1, max: 10_080 },
  notifyChannels: { type: "channels" },
  publicUrl: { type: "url" },
  notifyRetrySeconds: { type: "number", min: 0.01, max: 3600 },
  notifyMaxAttempts: { type: "number", min: 1, max: 100 },
  memoryBudgetMb: { type: "number", min: 0, max: 1_048_576 },
  recycle: { type: "boolean" },
  site: { type: "site" },
  exportDir: { type: "path" },
  parquetNightly: { type: "boolean" },
};

/** `quarantineDir` → `LTA_QUARANTINE_DIR`. */
export function envName(key: string): string {
  return `LTA_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

type Layer = Partial<Record<string, unknown>>;

/** Merges the layers in order of precedence and validates every value. */
export function buildConfig(env: Record<string, string | undefined>, file: Layer, flags: Layer): Config {
  const fromEnv: Layer = {};
  for (const key of Object.keys(KINDS)) {
    const v = env[envName(key)];
    if (v !== undefined && v !== "") fromEnv[key] = v;
  }
  const merged: Record<string, unknown> = { ...DEFAULTS };
  for (const [layer, label] of [[fromEnv, "environment"], [file, "config file"], [flags, "flag"]] as const) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      const kind = KINDS[key as keyof Config];
      if (!kind) {
        throw new ConfigError(
          `unknown setting "${key}" in ${label}; known settings: ${Object.keys(KINDS).join(", ")}`,
        );
      }
      const where = label === "environment" ? `environment ${envName(key)}` : label;
      merged[key] = convert(key, kind, value, where);
    }
  }
  const config = merged as unknown as Config;
  if (config.httpReadToken && (!config.httpToken || config.httpReadToken === config.httpToken)) {
    throw new ConfigError("httpReadToken needs httpToken beside it, and the two must differ");
  }
  if (config.httpEnabled && !isLoopback(config.httpHost) && !config.httpToken) {
    throw new ConfigError(
      `httpHost "${config.httpHost}" is reachable from other machines: set httpToken (LTA_HTTP_TOKEN) too, or bind 127.0.0.1`,
    );
  }
  if (!Number.isInteger(config.httpPort)) {
    throw new ConfigError(`httpPort must be a whole number, got ${config.httpPort}`);
  }
  return config;
}
