/**
 * The command line's history commands: charts, reports, exports, the lake, SPC, alarms and capability.
 * Each parses its flags and calls its entry function in `history_commands.ts`.
 */
import { Argument, type Command, InvalidArgumentError } from "@commander-js/extra-typings";
import {
  alarmsCommand,
  capabilityCommand,
  chartCommand,
  exportCommand,
  lakeCommand,
  parquetExportCommand,
  reportCommand,
  spcCommand,
} from "./history_commands.ts";
import {
  type ConfigFrom,
  configOption,
  dbOption,
  formatOption,
  isoDate,
  positiveInteger,
} from "./options.ts";

/** Adds the history commands to `program`. */
export function addHistoryCommands(program: Command, configFrom: ConfigFrom): void {
  addChartCommand(program, configFrom);
  addReportCommand(program, configFrom);
  addExportCommand(program, configFrom);
  addLakeCommand(program, configFrom);
  addSpcCommand(program, configFrom);
  addAlarmsCommand(program, configFrom);
  addCapabilityCommand(program, configFrom);
}

function addChartCommand(program: Command, configFrom: ConfigFrom): void {
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
}

function addReportCommand(program: Command, configFrom: ConfigFrom): void {
  program.command("report")
    .description(
      "build the report folder <reportsDir>/<date>/: index.html and the same as report.pdf (summary, failing tracks, capability, open alarms, trends)",
    )
    .addOption(configOption())
    .addOption(dbOption())
    .option("--date <date>", "the day reported on, YYYY-MM-DD [default: yesterday]", isoDate)
    .option("--station <station>", "only this station's files, in <reportsDir>/<date>_<station>/")
    .option("--pdf", "print only the PDF's path (to open or mail it from a script)")
    .action(async (opts) => {
      const { date, station, pdf, ...rest } = opts;
      await reportCommand({ date, station }, await configFrom(rest), pdf ?? false);
    });
}

function addExportCommand(program: Command, configFrom: ConfigFrom): void {
  program.command("export")
    .description(
      "xlsx: an Excel workbook (summary per model, one row per track, SPC alarms, capability); parquet: the history as " +
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
    .option("--station <station>", "xlsx: only files from this station")
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
      const { out, model, station, since, until, site, ...rest } = opts;
      const config = await configFrom({ ...rest, site });
      if (format === "parquet") {
        if (model || station) {
          throw new InvalidArgumentError(
            "--model and --station apply to xlsx exports; a Parquet export holds every model and station",
          );
        }
        if (until) {
          throw new InvalidArgumentError("--until applies to xlsx exports; Parquet exports go by load date");
        }
        await parquetExportCommand({ out, since }, config);
      } else {
        if (!out) throw new InvalidArgumentError("an xlsx export needs --out FILE.xlsx");
        await exportCommand({ out, model, station, since, until }, config);
      }
    });
}

function addLakeCommand(program: Command, configFrom: ConfigFrom): void {
  program.command("lake")
    .description(
      "query every site's Parquet exports in the lake folder with lta's relations (files, tracks, v_tracks, " +
        "points, final_tests, v_trim_vs_final, v_final_tests_unmatched); file_id is the file's sha256 there",
    )
    .argument(
      "<sql>",
      'one reading statement, e.g. "SELECT site, model, count(*) FROM v_tracks GROUP BY ALL"',
    )
    .addOption(configOption())
    .option("--lake <dir>", "the lake folder [default: exportDir]")
    .addOption(formatOption())
    .action(async (sql, opts) => {
      const { lake, format, ...rest } = opts;
      await lakeCommand(sql, lake, format, await configFrom(rest));
    });
}

function addSpcCommand(program: Command, configFrom: ConfigFrom): void {
  program.command("spc")
    .description(
      "evaluate control limits, Nelson rules and CUSUM/EWMA drift and store alarms; limits are computed once " +
        "from each series' first baseline points and stay until recomputed deliberately",
    )
    .addOption(configOption())
    .addOption(dbOption())
    .option("--model <model>", "only this model")
    .option(
      "--recompute-limits",
      "add a limits version from the baseline --from/--to/--points, with --reason",
    )
    .option("--from <date>", "baseline: points tested on or after this day (YYYY-MM-DD)", isoDate)
    .option("--to <date>", "baseline: points tested up to this day, included", isoDate)
    .option("--points <n>", "baseline: at most the first N points of the range", positiveInteger)
    .option(
      "--exclude <fileId>",
      "leave this file out of the model's baselines (with --model and --reason)",
      positiveInteger,
    )
    .option("--metric <metric>", "with --exclude: only for sigma_gradient or linearity_error")
    .option("--reason <text>", "why the limits are recomputed or the file is left out (kept with them)")
    .option("--by <name>", "who does it (default: $USER)")
    .action(async (opts) => {
      const { model, recomputeLimits, from, to, points, exclude, metric, reason, by, ...rest } = opts;
      await spcCommand(
        { model, recomputeLimits, from, to, points, exclude, metric, reason, by },
        await configFrom(rest),
      );
    });
}

function addAlarmsCommand(program: Command, configFrom: ConfigFrom): void {
  const alarmId = (v: string) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected an alarm id, got "${v}"`);
    return Number(v);
  };
  program.command("alarms")
    .description(
      "list open alarms (SPC, drift, silent stations, failed nightly jobs), or acknowledge or resolve one",
    )
    .addOption(configOption())
    .addOption(dbOption())
    .option("--all", "include acknowledged, resolved and cleared alarms")
    .option("--model <model>", "only this model's alarms")
    .option("--station <station>", "only this station's alarms")
    .option("--limit <n>", "at most this many, newest first [default: 500]", positiveInteger)
    .option("--ack <id>", "acknowledge this alarm", alarmId)
    .option("--resolve <id>", "resolve this alarm (with --cause and --action)", alarmId)
    .option("--cause <text>", "the assignable cause (with --ack or --resolve)")
    .option("--action <text>", "the corrective action taken (with --resolve)")
    .option("--by <name>", "who acknowledges [default: $USER]")
    .addOption(formatOption())
    .action(async (opts) => {
      const { all, ack, resolve, cause, action, by, model, station, limit, format, ...rest } = opts;
      const options = { all, ack, resolve, cause, action, by, model, station, limit, format };
      await alarmsCommand(options, await configFrom(rest));
    });
}

function addCapabilityCommand(program: Command, configFrom: ConfigFrom): void {
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
}
