/**
 * lta's settings: defaults < `LTA_*` environment < config file (JSON) < command-line flags, validated
 * once here. Nothing below `main.ts` reads the environment or the command line.
 */
import type { OffsetSearch } from "../analyze/offset.ts";

export interface Config {
  /** The DuckDB database file. */
  db: string;
  /** The folder stations drop files into. */
  inbox: string;
  /** Unreadable files go here, one subfolder per reason code. */
  quarantineDir: string;
  quarantineMode: "move" | "copy";
  offsetSearch: OffsetSearch;
  /** A pass closer than this percentage of the band to a limit is a near miss. */
  nearMissPct: number;
}

export const DEFAULTS: Config = {
  db: "./data/lta.duckdb",
  inbox: "./inbox",
  quarantineDir: "./quarantine",
  quarantineMode: "move",
  offsetSearch: "exact",
  nearMissPct: 10,
};

const ENV_NAMES: Record<keyof Config, string> = {
  db: "LTA_DB",
  inbox: "LTA_INBOX",
  quarantineDir: "LTA_QUARANTINE_DIR",
  quarantineMode: "LTA_QUARANTINE_MODE",
  offsetSearch: "LTA_OFFSET_SEARCH",
  nearMissPct: "LTA_NEAR_MISS_PCT",
};

/** A setting with a bad value; the message names where it came from. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

type Layer = Partial<Record<keyof Config, unknown>>;

/** Merges the layers in order of precedence and validates the result. */
export function buildConfig(env: Record<string, string | undefined>, file: Layer, flags: Layer): Config {
  const fromEnv: Layer = {};
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    if (env[name] !== undefined && env[name] !== "") fromEnv[key as keyof Config] = env[name];
  }
  const merged: Record<string, unknown> = { ...DEFAULTS };
  const source: Record<string, string> = {};
  for (const [layer, label] of [[fromEnv, "environment"], [file, "config file"], [flags, "flag"]] as const) {
    for (const [k, v] of Object.entries(layer)) {
      if (!(k in DEFAULTS)) throw new ConfigError(`unknown setting "${k}" in ${label}`);
      if (v !== undefined) {
        merged[k] = v;
        source[k] = label;
      }
    }
  }
  const where = (k: string) => `${k} (from ${source[k] ?? "defaults"})`;
  const oneOf = (k: string, allowed: string[]) => {
    if (!allowed.includes(String(merged[k]))) {
      throw new ConfigError(`${where(k)} must be one of ${allowed.join(", ")}, got "${merged[k]}"`);
    }
  };
  oneOf("quarantineMode", ["move", "copy"]);
  oneOf("offsetSearch", ["exact", "legacy"]);
  const pct = Number(merged.nearMissPct);
  if (!Number.isFinite(pct) || pct < 0 || pct > 100) {
    throw new ConfigError(
      `${where("nearMissPct")} must be a number from 0 to 100, got "${merged.nearMissPct}"`,
    );
  }
  for (const k of ["db", "inbox", "quarantineDir"]) {
    if (typeof merged[k] !== "string" || !merged[k]) {
      throw new ConfigError(`${where(k)} must be a non-empty path`);
    }
  }
  return { ...(merged as unknown as Config), nearMissPct: pct };
}

/** Reads a JSON config file; its keys are the `Config` names. */
export async function readConfigFile(path: string): Promise<Layer> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new Error("not an object");
    }
    return parsed;
  } catch (e) {
    throw new ConfigError(`config file ${path} is not a JSON object: ${(e as Error).message}`);
  }
}
