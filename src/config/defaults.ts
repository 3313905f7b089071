/** Every setting's value when neither the environment, the config file nor a flag gives one. */
import { DEFAULT_RULES } from "../analyze/nelson_rules.ts";
import type { Config } from "./config.ts";

export const DEFAULTS: Config = {
  db: "./data/lta.duckdb",
  inbox: "./inbox",
  quarantineDir: "./quarantine",
  quarantineMode: "move",
  afterLoad: "leave",
  archiveDir: "./archive",
  reportsDir: "./reports",
  trackCharts: false,
  offsetSearch: "exact",
  nearMissPct: 10,
  pollSeconds: 5,
  minAgeSeconds: 2,
  incompleteSeconds: 60,
  parseTimeoutSeconds: 15,
  verifyOnStart: true,
  parseIsolation: "process",
  watchEvents: true,
  nightlyCron: "0 2 * * *",
  timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  catchUp: "latest",
  catchUpMax: 7,
  logFormat: "auto",
  httpEnabled: true,
  httpHost: "127.0.0.1",
  httpPort: 8321,
  httpToken: "",
  httpReadToken: "",
  httpAllowedHosts: [],
  exportsPerHour: 12,
  snapshotKeep: 7,
  exportKeepDays: 30,
  queryMaxRows: 10_000,
  queryTimeoutSeconds: 30,
  httpReaders: 4,
  httpReaderQueue: 64,
  httpReaderShare: 0.2,
  spcBaseline: 30,
  nelsonRulesSigma: [...DEFAULT_RULES],
  nelsonRulesLinearity: [...DEFAULT_RULES],
  nelsonRulesByModel: {},
  nelsonK: {},
  capabilityMinN: 30,
  alarmCauses: [
    "tool or trim wear",
    "material or resistor lot",
    "set-up or program change",
    "measurement system",
    "operator or handling",
    "environment",
    "no cause found",
  ],
  stations: {},
  silenceHours: 4,
  workingHours: { "mon-fri": "06:00-22:00" },
  quarantineRatePct: 20,
  quarantineRateFiles: 50,
  memoryAlarmMinutes: 10,
  notifyChannels: [],
  publicUrl: "",
  notifyRetrySeconds: 30,
  notifyMaxAttempts: 8,
  memoryBudgetMb: 0,
  recycle: true,
  site: defaultSite(),
  exportDir: "./exports",
  parquetNightly: false,
};

/** The machine's name, as a path-safe token. */
function defaultSite(): string {
  try {
    return Deno.hostname().replace(/[^A-Za-z0-9_.-]+/g, "-") || "lta";
  } catch {
    return "lta";
  }
}
