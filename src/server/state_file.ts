/**
 * A small file next to the database saying which process serves it and on which port, so `lta query` and
 * `lta snapshot` can go through the running service (DuckDB lets no other process open the file).
 */
import { serviceStatePath } from "../db/sidecars.ts";

export interface ServiceState {
  pid: number;
  host: string;
  port: number;
  startedAt: string;
}

/** Where the state file is: beside the database, named in `db/sidecars.ts`. */
export const stateFilePath = serviceStatePath;

export async function writeServiceState(dbPath: string, state: ServiceState): Promise<void> {
  await Deno.writeTextFile(stateFilePath(dbPath), JSON.stringify(state));
}

export async function removeServiceState(dbPath: string): Promise<void> {
  await Deno.remove(stateFilePath(dbPath)).catch(() => {});
}

/** The running service for `dbPath`, if its state file exists and it answers /health within a second. */
export async function findRunningService(dbPath: string): Promise<ServiceState | null> {
  let state: ServiceState;
  try {
    state = JSON.parse(await Deno.readTextFile(stateFilePath(dbPath)));
  } catch {
    return null;
  }
  try {
    const host = state.host.includes(":") ? `[${state.host}]` : state.host;
    const res = await fetch(`http://${host}:${state.port}/health`, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.ok ? state : null;
  } catch {
    return null;
  }
}

/** The service's base URL. */
export function serviceUrl(state: ServiceState): string {
  const host = state.host === "0.0.0.0" || state.host === "::" ? "127.0.0.1" : state.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${state.port}`;
}
