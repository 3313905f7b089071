/** Load, acknowledgement and job times: kept in UTC by the database, shown in the plant's time zone. */

/** A UTC time as the database keeps it (`YYYY-MM-DD HH:MM[:SS[.ffffff]]`), in `timeZone`, with its zone. */
export function zoned(utc: unknown, timeZone: string): string {
  if (utc === null || utc === undefined || utc === "") return "—";
  const text = String(utc);
  const ms = Date.parse(`${text.slice(0, 19).replace(" ", "T")}${text.length === 16 ? ":00" : ""}Z`);
  if (Number.isNaN(ms)) return text;
  return new Intl.DateTimeFormat("sv-SE", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  }).format(new Date(ms));
}
