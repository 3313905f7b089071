/**
 * Sending one message to one channel: a webhook POST, or a mail through the channel's SMTP server
 * (nodemailer). Each message carries a key that names the alarm and channel (`Idempotency-Key`, the mail's
 * Message-ID), so a receiver can drop the one copy a kill between "sent" and "logged" could repeat.
 */
import { Buffer } from "node:buffer";
import nodemailer from "nodemailer";
import type { Channel, MailChannel, WebhookChannel } from "../config/notify_channels.ts";
import type { Outcome } from "./deliveries.ts";
import { mailMessage, type Notice, webhookBody } from "./messages.ts";
import { svgToPng } from "../render/png.ts";

/** A channel that does not answer within this is a failed attempt (tried again later). */
const SEND_TIMEOUT_MS = 15_000;

export async function send(
  channel: Channel,
  site: string,
  notices: Notice[],
  digest: { day: string } | null,
): Promise<Outcome> {
  const key = digest
    ? `lta-${site}-digest-${digest.day}-${channel.name}`
    : `lta-${site}-alarm-${notices[0].alarm.alarm_id}-${channel.name}`;
  try {
    return channel.type === "webhook"
      ? await post(channel, key, webhookBody(channel.format, site, notices, digest !== null))
      : await mail(channel, key, site, notices, digest !== null);
  } catch (e) {
    return { ok: false, detail: (e as Error).message };
  }
}

async function post(channel: WebhookChannel, key: string, body: unknown): Promise<Outcome> {
  const response = await fetch(channel.url, {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
  });
  const answer = (await response.text()).slice(0, 200);
  return { ok: response.ok, detail: `HTTP ${response.status}${answer ? `: ${answer}` : ""}` };
}

async function mail(
  channel: MailChannel,
  key: string,
  site: string,
  notices: Notice[],
  digest: boolean,
): Promise<Outcome> {
  const transport = nodemailer.createTransport({
    host: channel.host,
    port: channel.port,
    secure: channel.secure,
    auth: channel.user ? { user: channel.user, pass: channel.password } : undefined,
    connectionTimeout: SEND_TIMEOUT_MS,
    greetingTimeout: SEND_TIMEOUT_MS,
    socketTimeout: SEND_TIMEOUT_MS,
  });
  try {
    const m = mailMessage(site, notices, digest);
    const info = await transport.sendMail({
      from: channel.from,
      to: channel.to,
      subject: m.subject,
      text: m.text,
      html: m.html,
      messageId: `<${key}@lta>`,
      // PNG: Outlook and Gmail do not show an inline SVG.
      attachments: m.chartSvg
        ? [{
          filename: "evidence.png",
          content: Buffer.from(await svgToPng(m.chartSvg)),
          contentType: "image/png",
          cid: "chart",
        }]
        : [],
    });
    return { ok: true, detail: `accepted by ${channel.host}: ${info.response ?? ""}`.trim() };
  } finally {
    transport.close();
  }
}
