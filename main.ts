/**
 * lta's command line: parses arguments, builds the configuration (defaults < LTA_* environment < config
 * file < flags) and calls one entry function per command.
 */
import { Command, Option } from "@commander-js/extra-typings";
import {
  configCheckCommand,
  ingestCommand,
  jobsRunCommand,
  queryCommand,
  reprocessCommand,
  serveCommand,
  snapshotCommand,
} from "./src/cli/commands.ts";
import { analyzeCommand } from "./src/cli/history_commands.ts";
import { addHistoryCommands } from "./src/cli/history_program.ts";
import { configOption, dbOption, isoDate } from "./src/cli/options.ts";
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

addHistoryCommands(program, configFrom);

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
