/**
 * Alarms that reach people, over real channels on 127.0.0.1: a webhook receiver (generic JSON, Slack,
 * Teams) and an SMTP server (the smtp-server package). The service runs as its own process and is killed
 * with -9; quiet hours and digests run on a scripted clock.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { SMTPServer } from "smtp-server";
import { inkedShare } from "./_chromium.ts";
import { buildConfig } from "../src/config/config.ts";
import { Database } from "../src/db/database.ts";
import { createLogger } from "../src/log.ts";
import { Notifier } from "../src/notify/notifier.ts";
import { serviceFolder, serviceRows, startService, until } from "./_service_process.ts";
import { seed, withDb } from "./_spc_seed.ts";

/** 30 in-control points, then 30 shifted up by about eight σ: rule 1, rule 2 and CUSUM alarms. */
const DRIFTING = Array.from(
  { length: 60 },
  (_, i) => 0.0003 + 0.00003 * Math.sin(i * 1.7) + (i >= 30 ? 0.0004 : 0),
);

interface Received {
  path: string;
  key: string | null;
  body: Record<string, unknown>;
}

/** A webhook receiver: what each path got; `/flaky` answers 500 to its first two requests. */
function webhookReceiver() {
  const got: Received[] = [];
  let flakyFailures = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const body = await req.json();
    if (path === "/flaky" && flakyFailures < 2) {
      flakyFailures++;
      return new Response("receiver down", { status: 500 });
    }
    got.push({ path, key: req.headers.get("idempotency-key"), body });
    return new Response("ok");
  });
  return { got, url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

/** An SMTP server on 127.0.0.1 keeping each message as sent. */
async function mailReceiver() {
  const got: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Uint8Array[] = [];
      stream.on("data", (c: Uint8Array) => chunks.push(c));
      stream.on("end", () => {
        got.push(new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c]))));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return { got, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Asks the service for an SPC run over `model`, as `lta spc --model` does. */
const spcRun = (base: string, model: string) =>
  fetch(`${base}/api/spc`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model }),
  });

/** The alarms a message names: the JSON form lists them, Slack and Teams name them in their heading. */
const alarmIdsOf = (r: Received) =>
  r.body.alarms
    ? (r.body.alarms as { alarm: number }[]).map((a) => a.alarm)
    : [...JSON.stringify(r.body).matchAll(/alarm (\d+):/g)].map((m) => Number(m[1])).slice(0, 1);

Deno.test("a drift's alarms reach every channel once with their chart, a failing webhook is retried, and kill -9 sends nothing twice", async () => {
  const hooks = webhookReceiver();
  const mail = await mailReceiver();
  const folder = await serviceFolder({
    notifyRetrySeconds: 0.2,
    publicUrl: "http://lta.plant.local:8321",
    notifyChannels: [
      { name: "hook", type: "webhook", url: `${hooks.url}/json` },
      { name: "slack", type: "webhook", format: "slack", url: `${hooks.url}/slack`, kinds: ["drift"] },
      { name: "teams", type: "webhook", format: "teams", url: `${hooks.url}/teams`, severities: ["high"] },
      { name: "flaky", type: "webhook", url: `${hooks.url}/flaky` },
      {
        name: "mail",
        type: "smtp",
        host: "127.0.0.1",
        port: mail.port,
        from: "lta@plant.local",
        to: ["qe@plant.local"],
      },
    ],
  });
  const db = await Database.open(folder.db);
  await seed(db, "DRIFT", { sigma_gradient: DRIFTING });
  db.close();
  let service = await startService(folder.configFile, folder.db);
  try {
    const spc = await spcRun(service.base, "DRIFT");
    ok(spc.ok, await spc.text());
    const alarms = await serviceRows(
      service.base,
      "SELECT alarm_id, kind, severity FROM v_alarms ORDER BY 1",
    );
    const ids = alarms.map((a) => Number(a.alarm_id));
    const of = (keep: (a: Record<string, unknown>) => boolean) =>
      alarms.filter(keep).map((a) => Number(a.alarm_id));
    ok(
      of((a) => a.kind === "drift").length >= 1 && of((a) => a.kind === "spc").length >= 1,
      JSON.stringify(alarms),
    );
    const sentTo = (path: string) =>
      hooks.got.filter((r) => r.path === path).flatMap(alarmIdsOf).sort((a, b) => a - b);
    await until(
      "every channel has its alarms",
      () =>
        sentTo("/json").length === ids.length && sentTo("/flaky").length === ids.length &&
        mail.got.length === ids.length && sentTo("/slack").length === of((a) => a.kind === "drift").length &&
        hooks.got.filter((r) => r.path === "/teams").length === of((a) => a.severity === "high").length,
    );

    deepEqual(sentTo("/json"), ids, "each alarm once on the JSON webhook");
    deepEqual(sentTo("/flaky"), ids, "each alarm once on the webhook that failed twice");
    deepEqual(sentTo("/slack"), of((a) => a.kind === "drift"), "Slack takes only drift alarms");
    const json = hooks.got.find((r) => r.path === "/json")!;
    const first = (json.body.alarms as Record<string, string>[])[0];
    ok(
      first.chart_svg.startsWith("<svg") && first.chart_svg.includes("UCL"),
      "the evidence chart rides along",
    );
    equal(first.url, `http://lta.plant.local:8321/alarms/${first.alarm}`);
    equal(json.key, `lta-${(json.body as { site: string }).site}-alarm-${first.alarm}-hook`);
    const slack = hooks.got.find((r) => r.path === "/slack")!.body as { text: string; blocks: unknown[] };
    ok(slack.text.includes("alarm") && slack.blocks.length === 2, JSON.stringify(slack));
    const teams = hooks.got.find((r) => r.path === "/teams")!.body as {
      attachments: { contentType: string }[];
    };
    equal(teams.attachments[0].contentType, "application/vnd.microsoft.card.adaptive");
    const messageIds = mail.got.map((m) => /^Message-ID: (.*)$/mi.exec(m)?.[1]);
    equal(new Set(messageIds).size, ids.length, "one mail per alarm");
    ok(mail.got.every((m) => /Content-ID: <chart>/i.test(m) && m.includes("image/png")), "the chart inline");
    // The inline chart is a drawn PNG (Outlook and Gmail show no SVG), not a blank one.
    const png = Buffer.from(
      /Content-ID: <chart>\r?\n(?:[\w-]+: [^\r\n]*\r?\n)*\r?\n([A-Za-z0-9+/=\r\n]+)/i.exec(mail.got[0])![1],
      "base64",
    );
    ok(inkedShare(png) > 0.02, `the chart has ink: ${inkedShare(png)}`);
    // Quoted-printable wraps long lines (a "=" at the end) and escapes "=" itself.
    const unwrapped = mail.got.map((m) =>
      m.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)))
    );
    ok(unwrapped.every((m) => m.includes("http://lta.plant.local:8321/alarms/")), "a link to the alarm");

    const attempts = await serviceRows(
      service.base,
      `SELECT count(*) FILTER (NOT ok) AS failed, count(*) FILTER (ok) AS sent, max(detail) FILTER (NOT ok) AS why
       FROM delivery_attempts WHERE channel = 'flaky'`,
    );
    deepEqual([Number(attempts[0].failed), Number(attempts[0].sent)], [2, ids.length]);
    ok(String(attempts[0].why).includes("HTTP 500"), String(attempts[0].why));
    ok(service.log().includes('"notify_attempt_failed"'), "the failed attempts are logged");

    const before = { hooks: hooks.got.length, mail: mail.got.length };
    await service.kill();
    service = await startService(folder.configFile, folder.db);
    const again = await spcRun(service.base, "DRIFT");
    ok(again.ok, await again.text());
    // Twenty of the notifier's rounds after the restart.
    await new Promise((r) => setTimeout(r, 4000));
    deepEqual({ hooks: hooks.got.length, mail: mail.got.length }, before, "nothing sent twice after kill -9");
    const owed = await serviceRows(
      service.base,
      "SELECT count(*) AS n FROM alarm_deliveries WHERE status <> 'sent'",
    );
    equal(Number(owed[0].n), 0);

    // The alarm API pages and filters; resolving through it closes the alarm with its corrective action.
    const page = await (await fetch(`${service.base}/api/alarms?show=all&limit=2`)).json();
    deepEqual([page.rows.length, page.next_offset], [2, ids.length > 2 ? 2 : null]);
    const drift = await (await fetch(`${service.base}/api/alarms?kind=drift`)).json();
    equal(drift.rows.length, of((a) => a.kind === "drift").length);
    const resolved = await fetch(`${service.base}/api/alarms/${ids[0]}/resolve`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ cause: "tool or trim wear", action: "replaced the trim nozzle", by: "qe" }),
    });
    ok(resolved.ok, await resolved.text());
    const closed = await (await fetch(`${service.base}/api/alarms?show=resolved`)).json();
    const action = closed.columns.indexOf("corrective_action");
    deepEqual(closed.rows.map((r: unknown[]) => [r[0], r[action]]), [[ids[0], "replaced the trim nozzle"]]);
    const open = await (await fetch(`${service.base}/api/alarms`)).json();
    ok(!open.rows.some((r: unknown[]) => r[0] === ids[0]), "a resolved alarm is no longer open");
  } finally {
    await service.stop();
    await hooks.close();
    await mail.close();
  }
});

Deno.test("quiet hours hold notifications until they end; a digest channel gets one message a day", async () => {
  const hooks = webhookReceiver();
  try {
    await withDb(async (db) => {
      await seed(db, "DRIFT", { sigma_gradient: DRIFTING.slice(0, 30) });
      let now = new Date("2026-03-02T23:00:00Z");
      const config = buildConfig({}, {}, {
        timeZone: "Europe/Berlin",
        notifyChannels: [
          { name: "night", type: "webhook", url: `${hooks.url}/night`, quietHours: "22:00-06:00" },
          { name: "daily", type: "webhook", url: `${hooks.url}/daily`, digestAt: "07:00" },
        ],
      });
      const notifier = new Notifier(db, config, createLogger("json", () => {}), () => now);
      await notifier.tick(); // both channels see the database first: no alarm yet
      const raise = async (description: string) => {
        await db.exec(
          `INSERT INTO health_alarms (kind, subject, severity, description, first_at, last_at, created_at)
           VALUES ('silence', 'S1', 'medium', $1, $2::TIMESTAMP, $2::TIMESTAMP, $2::TIMESTAMP)`,
          [description, now.toISOString()],
        );
      };
      await raise("no file from station S1 for 4 hours");
      const paths = () => hooks.got.map((r) => r.path);
      await notifier.tick(); // 00:00 in Berlin: quiet, and before the digest
      deepEqual(paths(), []);
      now = new Date("2026-03-03T05:01:00Z"); // 06:01 in Berlin
      await notifier.tick();
      deepEqual(paths(), ["/night"], "held until the quiet hours ended");
      now = new Date("2026-03-03T06:05:00Z"); // 07:05
      await raise("a second silence");
      await notifier.tick();
      await notifier.tick();
      deepEqual(paths(), ["/night", "/night", "/daily"], "one digest with both");
      equal(alarmIdsOf(hooks.got[2]).length, 2);
      equal(hooks.got[2].body.event, "digest");
      now = new Date("2026-03-03T12:00:00Z");
      await raise("a third silence");
      await notifier.tick();
      equal(paths().filter((p) => p === "/daily").length, 1, "no second digest the same day");
      now = new Date("2026-03-04T06:30:00Z");
      await notifier.tick();
      equal(alarmIdsOf(hooks.got.at(-1)!).length, 1, "the next day's digest has the one since");
    });
  } finally {
    await hooks.close();
  }
});
