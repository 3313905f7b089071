/**
 * lta's command line: parses arguments, builds the configuration (defaults < LTA_* environment < config
 * file < flags) and calls one entry function per command.
 */
import { Argument, Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import {
  configCheckCommand,
  ingestCommand,
  jobsRunCommand,
  queryCommand,
  reprocessCommand,
  serveCommand,
  snapshotCommand,
} from "./src/cli/commands.ts";
import {
  alarmsCommand,
  analyzeCommand,
  capabilityCommand,
  chartCommand,
  exportCommand,
  lakeCommand,
  parquetExportCommand,
  reportCommand,
  spcCommand,
} from "./src/cli/history_commands.ts";
import { doctorCommand, recoverCommand } from "./src/cli/maintenance_commands.ts";
import { buildConfig, type Config, ConfigError, readConfigFile } from "./src/config/config.ts";

export const VERSION = "0.1.0";

interface CommonFlags {
  config?: string;
  db?: string;
}

async function configFrom(
  flags: CommonFlags & { [K in keyof Config]?: Config[K] | string },
): Promise<Config> {
  const { config: file, ...rest } = flags;
  const fileLayer = file ? await readConfigFile(file) : {};
  const flagLayer = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  return buildConfig(Deno.env.toObject(), fileLayer, flagLayer);
}

function isoDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError(`expected a date as YYYY-MM-DD, got "${value}"`);
  }
  return value;
}

const configOption = () => new Option("--config <file>", "JSON config file (keys as in README)");
const dbOption = () =>
  new Option("--db <file>", "DuckDB database file [default: ./data/lta.duckdb, env LTA_DB]");

const program = new Command()
  .name("lta")
  .description("laser-trim ETL: Excel trim files → DuckDB history, analyses and reports")
  .version(VERSION)
  .showHelpAfterError();

program.command("serve")
  .description(
    "run the service: watch the inbox (polling + file events), load and analyse each finished file, run the nightly jobs; stops cleanly on Ctrl-C/SIGTERM",
  )
  .addOption(configOption())
  .addOption(dbOption())
  .option("--inbox <dir>", "folder stations drop files into [default: ./inbox, env LTA_INBOX]")
  .option("--once", "process what is in the inbox now, then exit (no schedule, no HTTP)")
  .option("--port <port>", "HTTP port for the API and live page [default: 8321; 0 = any free port]")
  .action(async (opts) => {
    const { once, port, ...rest } = opts;
    await serveCommand(await configFrom({ ...rest, httpPort: port }), once ?? false);
  });

program.command("config")
  .description("configuration tools")
  .command("check")
  .description("validate settings (defaults < LTA_* env < --config file < flags) and print the result")
  .addOption(configOption())
  .addOption(dbOption())
  .action(async (opts) => configCheckCommand(await configFrom(opts)));

program.command("ingest")
  .description("load and analyse trim and Final Test files; folders are searched recursively for .xls/.xlsx")
  .argument("<paths...>", "files or folders")
  .addOption(configOption())
  .addOption(dbOption())
  .option("--quarantine-dir <dir>", "where unreadable files go [default: ./quarantine]")
  .addOption(
    new Option("--quarantine-mode <mode>", "move or copy bad files").choices(["move", "copy"] as const),
  )
  .action(async (paths, opts) => {
    await ingestCommand(paths, await configFrom(opts));
  });

program.command("query")
  .description(
    "run one reading SQL statement (SELECT/WITH/DESCRIBE/SHOW/EXPLAIN) and print the rows; goes through the running service when there is one",
  )
  .argument("<sql>", 'the statement, e.g. "SELECT * FROM v_tracks LIMIT 10"')
  .addOption(configOption())
  .addOption(dbOption())
  .addOption(
    new Option("--format <format>", "output format").choices(["table", "csv", "json"] as const).default(
      "table",
    ),
  )
  .action(async (sql, opts) => {
    const { format, ...rest } = opts;
    await queryCommand(sql, format, await configFrom(rest));
  });

program.command("analyze")
  .description("re-analyse tracks (by default those without a result yet)")
  .addOption(configOption())
  .addOption(dbOption())
  .option("--all", "every loaded track")
  .option("--model <model>", "tracks of one model")
  .option("--since <date>", "tracks tested on or after YYYY-MM-DD", isoDate)
  .addOption(
    new Option("--offset-search <search>", "optimal offset search").choices(["exact", "legacy"] as const),
  )
  .action(async (opts) => {
    const { all, model, since, ...rest } = opts;
    await analyzeCommand({ all, model, since }, await configFrom(rest));
  });

program.command("reprocess")
  .description("retry files in quarantine (after a fix or a parser upgrade)")
  .requiredOption("--quarantined", "retry every quarantined file")
  .addOption(configOption())
  .addOption(dbOption())
  .action(async (opts) => {
    const { quarantined: _, ...rest } = opts;
    await reprocessCommand(await configFrom(rest));
  });

program.command("snapshot")
  .description(
    "write a read-only copy of the database under <db folder>/snapshots (through the service if running)",
  )
  .addOption(configOption())
  .addOption(dbOption())
  .action(async (opts) => await snapshotCommand(await configFrom(opts)));

program.command("chart")
  .description("draw one track's chart (error vs position, limits, offset, fail points) as SVG")
  .argument("<file>", "file name or file_id")
  .addOption(configOption())
  .addOption(dbOption())
  .option("--track <track>", "TRK1, TRK2 … [default: the first]")
  .option("--out <file.svg>", "write here instead of stdout")
  .action(async (file, opts) => {
    const { track, out, ...rest } = opts;
    await chartCommand(file, track, out, await configFrom(rest));
  });

program.command("report")
  .description("build the report folder <reportsDir>/<date>/index.html (summary, trends, failing tracks)")
  .addOption(configOption())
  .addOption(dbOption())
  .option("--date <date>", "the day reported on, YYYY-MM-DD [default: yesterday]", isoDate)
  .action(async (opts) => {
    const { date, ...rest } = opts;
    await reportCommand(date, await configFrom(rest));
  });

program.command("export")
  .description(
    "xlsx: tracks in an Excel workbook (summary per model + one row per track); parquet: the history as " +
      "Hive-partitioned Parquet (model=/date=) with a manifest, one new folder per export, for a data lake",
  )
  .addArgument(
    new Argument("[format]", "what to write").choices(["xlsx", "parquet"] as const).default("xlsx"),
  )
  .addOption(configOption())
  .addOption(dbOption())
  .option(
    "--out <path>",
    "xlsx: the workbook to write (required); parquet: the lake folder [default: exportDir]",
  )
  .option("--model <model>", "xlsx: only this model")
  .option(
    "--since <date>",
    "xlsx: tracks tested on or after YYYY-MM-DD; parquet: files loaded on or after YYYY-MM-DD [default: all]",
    isoDate,
  )
  .option("--until <date>", "xlsx: tracks tested on or before YYYY-MM-DD [default: all]", isoDate)
  .option(
    "--site <name>",
    "parquet: this installation's name in the export [default: site setting, the host name]",
  )
  .action(async (format, opts) => {
    const { out, model, since, until, site, ...rest } = opts;
    const config = await configFrom({ ...rest, site });
    if (format === "parquet") {
      if (model) {
        throw new InvalidArgumentError("--model applies to xlsx exports; a Parquet export holds every model");
      }
      if (until) {
        throw new InvalidArgumentError("--until applies to xlsx exports; Parquet exports go by load date");
      }
      await parquetExportCommand({ out, since }, config);
    } else {
      if (!out) throw new InvalidArgumentError("an xlsx export needs --out FILE.xlsx");
      await exportCommand({ out, model, since, until }, config);
    }
  });

const formatOption = () =>
  new Option("--format <format>", "output format").choices(["table", "csv", "json"] as const).default(
    "table",
  );

program.command("lake")
  .description(
    "query every site's Parquet exports in the lake folder with lta's relations (files, tracks, v_tracks, " +
      "points, final_tests, v_trim_vs_final, v_final_tests_unmatched); file_id is the file's sha256 there",
  )
  .argument("<sql>", 'one reading statement, e.g. "SELECT site, model, count(*) FROM v_tracks GROUP BY ALL"')
  .addOption(configOption())
  .option("--lake <dir>", "the lake folder [default: exportDir]")
  .addOption(formatOption())
  .action(async (sql, opts) => {
    const { lake, format, ...rest } = opts;
    await lakeCommand(sql, lake, format, await configFrom(rest));
  });

program.command("spc")
  .description(
    "compute control limits (first time), evaluate Nelson rules and CUSUM/EWMA drift, store alarms",
  )
  .addOption(configOption())
  .addOption(dbOption())
  .option("--model <model>", "only this model")
  .option("--recompute-limits", "add a new version of the control limits from the newest baseline points")
  .action(async (opts) => {
    const { model, recomputeLimits, ...rest } = opts;
    await spcCommand(model, recomputeLimits ?? false, await configFrom(rest));
  });

program.command("alarms")
  .description("list open SPC and drift alarms, or acknowledge one")
  .addOption(configOption())
  .addOption(dbOption())
  .option("--all", "include acknowledged alarms")
  .option("--ack <id>", "acknowledge this alarm", (v) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected an alarm id, got "${v}"`);
    return Number(v);
  })
  .option("--cause <text>", "the assignable cause (with --ack)")
  .option("--by <name>", "who acknowledges [default: $USER]")
  .addOption(formatOption())
  .action(async (opts) => {
    const { all, ack, cause, by, format, ...rest } = opts;
    await alarmsCommand({ all, ack, cause, by, format }, await configFrom(rest));
  });

program.command("capability")
  .description(
    "Cp, Cpk (within, moving range), Pp, Ppk (overall) per model for sigma gradient and linearity error",
  )
  .addOption(configOption())
  .addOption(dbOption())
  .option("--model <model>", "only this model")
  .option("--since <date>", "tracks tested on or after YYYY-MM-DD", isoDate)
  .option("--by-track", "per model and track")
  .addOption(formatOption())
  .action(async (opts) => {
    const { model, since, byTrack, format, ...rest } = opts;
    await capabilityCommand({ model, since, byTrack, format }, await configFrom(rest));
  });

program.command("doctor")
  .description(
    "check a database: it opens and its WAL replays, every block reads back, the ledger matches the points; " +
      "exit 1 unless sound (through the running service when there is one)",
  )
  .addOption(configOption())
  .addOption(dbOption())
  .action(async (opts) => await doctorCommand(await configFrom(opts)));

program.command("recover")
  .description(
    "rebuild a damaged database: keep it as <db>.damaged-<time>, start from the newest sound snapshot and " +
      "load again every file in the inbox and archive it does not hold; lists what could not be found",
  )
  .addOption(configOption())
  .addOption(dbOption())
  .action(async (opts) => await recoverCommand(await configFrom(opts)));

program.command("jobs")
  .description("the nightly jobs")
  .command("run")
  .description(
    "run the nightly jobs now (all, or those named: reanalyze_day, spc, report, snapshot, parquet_export, " +
      "checkpoint) inside the running service",
  )
  .argument("[jobs...]", "job names [default: all]")
  .addOption(configOption())
  .addOption(dbOption())
  .action(async (jobs, opts) => await jobsRunCommand(jobs, await configFrom(opts)));

if (import.meta.main) {
  try {
    await program.parseAsync(Deno.args, { from: "user" });
  } catch (e) {
    console.error(`lta: ${e instanceof ConfigError ? e.message : (e as Error).message}`);
    Deno.exit(1);
  }
}
