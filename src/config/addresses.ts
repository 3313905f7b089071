/** What counts as this machine: loopback addresses, parsed rather than matched as text. */
import { isIP } from "node:net";

/** True for `localhost`, an address in 127.0.0.0/8, and `::1` (bracketed or not). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost") return true;
  if (isIP(h) === 4) return Number(h.split(".")[0]) === 127;
  if (isIP(h) === 6) return /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(h) || h === "::ffff:127.0.0.1";
  return false;
}

/** True for an IPv4 or IPv6 literal (which no DNS rebinding can stand behind). */
export function isIpLiteral(host: string): boolean {
  return isIP(host.replace(/^\[|\]$/g, "")) !== 0;
}
