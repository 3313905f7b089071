/**
 * `lta ingest` as a person sees it on a terminal: run in tmux (a real pseudo-terminal) over a folder with
 * bad files, and the screen read back.
 */
import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { generatedFixtures, workspace } from "./_helpers.ts";
import { Database } from "../src/db/database.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const WIDTH = 100;

async function tmux(...args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", { args, stdout: "piped", stderr: "piped" }).output().catch(
    (e) => {
      if (e instanceof Deno.errors.NotFound) {
        throw new Error("tmux is not installed (apt-get install tmux); .ci/run installs it");
      }
      throw e;
    },
  );
  if (!out.success) throw new Error(`tmux ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

Deno.test("lta ingest on a terminal: messages above the progress bar, whole and unglued, the summary last", async () => {
  const { dir, manifest } = await generatedFixtures();
  // A folder ingest takes only .xls/.xlsx names; a wrong extension is the watcher's case, not this one.
  const bad = manifest.filter((m) => m.quarantine && /\.xlsx?$/.test(m.file)).slice(0, 6);
  const good = manifest.filter((m) => m.system).slice(0, 12);
  ok(bad.length >= 4 && good.length >= 10, "enough files for the bar to run beside messages");
  const { inbox, config, root } = await workspace([...good, ...bad].map((m) => join(dir, m.file)));
  const session = `lta-${Deno.pid}`;
  const command = [
    Deno.execPath(),
    "run",
    "-A",
    MAIN,
    "ingest",
    inbox,
    "--db",
    config.db,
    "--quarantine-dir",
    config.quarantineDir,
  ]
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  await tmux(
    "new-session",
    "-d",
    "-s",
    session,
    "-x",
    String(WIDTH),
    "-y",
    "60",
    `env -u RUST_BACKTRACE NO_COLOR=1 ${command}; echo "EXIT=$?"; sleep 60`,
  );
  let screen = "";
  try {
    const end = Date.now() + 90_000;
    while (!/^EXIT=\d+/m.test(screen) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 250));
      // -J joins the lines the terminal wrapped, so each logical line reads back whole.
      screen = await tmux("capture-pane", "-p", "-J", "-t", session);
    }
  } finally {
    await tmux("kill-session", "-t", session).catch(() => "");
  }
  const lines = screen.split("\n").map((l) => l.trimEnd()).filter((l) => l.length > 0);
  const exit = lines.findIndex((l) => l.startsWith("EXIT="));
  equal(lines[exit], "EXIT=0", screen);
  ok(
    /^\d+ loaded, 0 duplicate, \d+ quarantined, \d+ rows, [\d.]+ s$/.test(lines[exit - 1]),
    `summary last:\n${screen}`,
  );
  ok(
    /^ingest \[.*\] \d+\/\d+ 100%/.test(lines[exit - 2]),
    `the finished bar just above the summary:\n${screen}`,
  );
  equal(
    lines.filter((l) => l.includes("ingest [")).length,
    1,
    `one bar line, nothing glued to it:\n${screen}`,
  );

  // Every quarantine message is on the screen whole: wrapped at the terminal's width, never cut.
  const db = await Database.open(config.db, { readOnly: true });
  const quarantined = await db.rows("SELECT reason_code, reason FROM files WHERE status = 'quarantined'");
  db.close();
  equal(quarantined.length, bad.length);
  const joined = lines.slice(0, exit).join("");
  for (const q of quarantined) {
    ok(
      joined.includes(`quarantined [${q.reason_code}] ${q.reason}`),
      `whole message for ${q.reason}:\n${screen}`,
    );
  }
  const starts = lines.filter((l) => l.startsWith("quarantined ["));
  equal(starts.length, bad.length, `each message starts a line of its own:\n${screen}`);
  await Deno.remove(root, { recursive: true }).catch(() => {});
});
