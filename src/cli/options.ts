/** Options and argument parsers that several of the command line's commands share. */
import { InvalidArgumentError, Option } from "@commander-js/extra-typings";
import type { Config } from "../config/config.ts";

/** Builds the configuration from a command's flags (main.ts: defaults < environment < file < flags). */
export type ConfigFrom = (
  flags: { config?: string; db?: string } & { [K in keyof Config]?: Config[K] | string },
) => Promise<Config>;

/** A calendar date as `YYYY-MM-DD`, refused with the value when it is not one. */
export function isoDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError(`expected a date as YYYY-MM-DD, got "${value}"`);
  }
  return value;
}

/** A whole number above 0, refused with the value when it is not one. */
export function positiveInteger(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) {
    throw new InvalidArgumentError(`expected a whole number above 0, got "${value}"`);
  }
  return Number(value);
}

export const configOption = () =>
  new Option("--config <file>", "JSON config file (keys as in docs/configuration.md)");
export const dbOption = () =>
  new Option("--db <file>", "DuckDB database file [default: ./data/lta.duckdb, env LTA_DB]");

export const formatOption = () =>
  new Option("--format <format>", "output format").choices(["table", "csv", "json"] as const).default(
    "table",
  );
