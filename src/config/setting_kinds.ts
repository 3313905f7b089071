/**
 * The kind of each setting and how a value from the environment, a config file or a flag becomes it:
 * every value is checked here, and a bad one named with where it came from.
 */
import { Cron } from "croner";
import { parseChannels } from "./notify_channels.ts";
import { parseWorkingHours } from "./working_hours.ts";

/** A setting with a bad value; the message names the key, where it came from and the expected form. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export type Kind =
  | { type: "path" }
  | { type: "text" }
  | { type: "site" }
  | { type: "rules" }
  | { type: "modelRules" }
  | { type: "ruleK" }
  | { type: "hostNames" }
  | { type: "phrases" }
  | { type: "choice"; values: readonly string[] }
  | { type: "number"; min: number; max: number }
  | { type: "boolean" }
  | { type: "cron" }
  | { type: "timeZone" }
  | { type: "channels" }
  | { type: "stations" }
  | { type: "workingHours" }
  | { type: "url" };

type Converter<K extends Kind> = (value: unknown, kind: K, bad: (expected: string) => ConfigError) => unknown;

const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

const CONVERTERS: { [T in Kind["type"]]: Converter<Extract<Kind, { type: T }>> } = {
  path: (value, _, bad) => {
    if (typeof value !== "string" || value.trim() === "") throw bad("a non-empty path");
    return value;
  },
  rules: (value, _, bad) => nelsonRules(value, bad),
  // From a config file an object; from the environment or a flag its JSON.
  modelRules: (value, _, bad) => {
    const expected = 'models and their rules per metric, e.g. {"8340-1": {"linearity_error": [1, 2]}}';
    const object = jsonObject(value, () => bad(expected));
    return Object.fromEntries(
      Object.entries(object).map(([model, metrics]) => {
        const byMetric = jsonObject(metrics, () => bad(expected));
        if (Object.keys(byMetric).some((m) => m !== "sigma_gradient" && m !== "linearity_error")) {
          throw bad(expected);
        }
        return [
          model,
          Object.fromEntries(Object.entries(byMetric).map(([m, r]) => [m, nelsonRules(r, bad)])),
        ];
      }),
    );
  },
  ruleK: (value, _, bad) => {
    const expected = 'rule numbers and their K, e.g. {"2": 7, "1": 3.5} (K σ for rule 1, points for 2–8)';
    const object = typeof value === "string" && !value.trim().startsWith("{")
      ? Object.fromEntries(value.split(",").map((pair) => pair.split("=").map((x) => x.trim())))
      : jsonObject(value, () => bad(expected));
    return Object.fromEntries(
      Object.entries(object).map(([rule, k]) => {
        const [r, n] = [Number(rule), Number(k)];
        const ok = r === 1
          ? n >= 1 && n <= 6
          : Number.isInteger(r) && r >= 2 && r <= 8 && Number.isInteger(n) && n >= 2 && n <= 50;
        if (!ok) throw bad(expected);
        return [r, n];
      }),
    );
  },
  channels: (value, _, bad) => parseChannels(value, bad),
  workingHours: (value, _, bad) => parseWorkingHours(value, bad),
  // Subfolder (or `re:` pattern) → {station, line}; from the environment or a flag its JSON.
  stations: (value, _, bad) => {
    const expected = 'inbox subfolders (or "re:" file-name patterns) and their station, e.g. ' +
      '{"line1/lt3": {"station": "LT-3", "line": "Line 1"}, "re:^B7": {"station": "LT-7"}}';
    const object = jsonObject(value, () => bad(expected));
    for (const [key, id] of Object.entries(object)) {
      const o = id as Record<string, unknown>;
      if (typeof o !== "object" || o === null || typeof o.station !== "string" || !o.station.trim()) {
        throw bad(expected);
      }
      if (o.line !== undefined && typeof o.line !== "string") throw bad(expected);
      if (key.startsWith("re:")) {
        try {
          new RegExp(key.slice(3));
        } catch {
          throw bad(`${expected} ("${key}" is not a valid pattern)`);
        }
      }
    }
    return Object.fromEntries(
      Object.entries(object).map((
        [k, v],
      ) => [k.startsWith("re:") ? k : k.replace(/\\/g, "/").replace(/^\/+|\/+$/g, ""), v]),
    );
  },
  url: (value, _, bad) => {
    if (typeof value !== "string" || (value !== "" && !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(value))) {
      throw bad('an address such as "http://lta.plant.local:8321"');
    }
    return value.replace(/\/+$/, "");
  },
  text: (value, _, bad) => {
    if (typeof value !== "string") throw bad("text");
    return value;
  },
  hostNames: (value, _, bad) => {
    const names = Array.isArray(value) ? value.map(String) : String(value).split(",");
    const trimmed = names.map((n) => n.trim().toLowerCase()).filter(Boolean);
    if (trimmed.some((n) => !HOST_NAME.test(n))) {
      throw bad('host names separated by commas, e.g. "lta.plant.local,quality-pc"');
    }
    return trimmed;
  },
  // Pick-list entries: a JSON array, or one string with entries separated by ";".
  phrases: (value, _, bad) => {
    const list = Array.isArray(value) ? value.map(String) : String(value).split(";");
    const trimmed = list.map((p) => p.trim()).filter(Boolean);
    if (trimmed.length === 0 || trimmed.length > 50 || trimmed.some((p) => p.length > 80)) {
      throw bad('1 to 50 phrases of at most 80 characters, e.g. "tool wear; material lot"');
    }
    return [...new Set(trimmed)];
  },
  // It names folders and files in the lake.
  site: (value, _, bad) => {
    if (typeof value !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(value)) {
      throw bad("a name of letters, digits, '-', '_' or '.' (at most 64), e.g. \"plant-2-line-3\"");
    }
    return value;
  },
  choice: (value, kind, bad) => {
    if (!kind.values.includes(String(value))) throw bad(`one of ${kind.values.join(", ")}`);
    return String(value);
  },
  number: (value, kind, bad) => {
    const n = typeof value === "number"
      ? value
      : typeof value === "string" && value.trim()
      ? Number(value)
      : NaN;
    if (!Number.isFinite(n) || n < kind.min || n > kind.max) {
      throw bad(`a number from ${kind.min} to ${kind.max}`);
    }
    return n;
  },
  boolean: (value, _, bad) => {
    if (typeof value === "boolean") return value;
    if (/^(true|1|yes|on)$/i.test(String(value))) return true;
    if (/^(false|0|no|off)$/i.test(String(value))) return false;
    throw bad("true or false");
  },
  cron: (value, _, bad) => {
    try {
      new Cron(String(value), { paused: true }).stop();
      return String(value).trim();
    } catch (e) {
      throw bad(`a cron expression such as "0 2 * * *" (${(e as Error).message})`);
    }
  },
  timeZone: (value, _, bad) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: String(value) });
      return String(value);
    } catch {
      throw bad('an IANA time zone such as "Europe/Berlin"');
    }
  },
};

function nelsonRules(value: unknown, bad: (expected: string) => ConfigError): number[] {
  const list = Array.isArray(value) ? value : String(value).split(/[\s,]+/).filter(Boolean);
  const rules = list.map(Number);
  if (rules.some((r) => !Number.isInteger(r) || r < 1 || r > 8)) {
    throw bad('Nelson rule numbers 1–8, e.g. "1,2,5"');
  }
  return [...new Set(rules)].sort();
}

/** An object, given as one or as JSON text. */
function jsonObject(value: unknown, bad: () => ConfigError): Record<string, unknown> {
  let v = value;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      throw bad();
    }
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad();
  return v as Record<string, unknown>;
}

/** `value` as setting `key` of `kind` wants it; `where` names its source in the error. */
export function convert(key: string, kind: Kind, value: unknown, where: string): unknown {
  const bad = (expected: string) =>
    new ConfigError(`${key} (from ${where}) must be ${expected}, got ${JSON.stringify(value)}`);
  return (CONVERTERS[kind.type] as Converter<Kind>)(value, kind, bad);
}
