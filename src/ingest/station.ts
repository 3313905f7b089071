/**
 * Which station sent a file: from the configured map of inbox subfolders (the longest that holds the
 * file) or file-name patterns (`re:` keys), else the file's first subfolder under the inbox. A file
 * dropped straight into the inbox has no station.
 */
import { basename, relative, resolve, sep } from "node:path";

export interface StationId {
  station: string | null;
  line: string | null;
}

/** `stations` setting: subfolder (or `re:` pattern on the file name) → station and line names. */
export type StationMap = Record<string, { station: string; line?: string }>;

export function stationOf(path: string, inbox: string, map: StationMap): StationId {
  const name = basename(path);
  for (const [key, id] of Object.entries(map)) {
    if (key.startsWith("re:") && new RegExp(key.slice(3)).test(name)) {
      return { station: id.station, line: id.line ?? null };
    }
  }
  const inside = relative(resolve(inbox), resolve(path));
  if (inside.startsWith("..") || !inside.includes(sep)) return { station: null, line: null };
  const folders = inside.split(sep).slice(0, -1);
  for (let n = folders.length; n > 0; n--) {
    const id = map[folders.slice(0, n).join("/")];
    if (id) return { station: id.station, line: id.line ?? null };
  }
  return { station: folders[0], line: null };
}
