/** The config file: a JSON object whose keys are the `Config` names. */
import { ConfigError } from "./setting_kinds.ts";

type Layer = Partial<Record<string, unknown>>;

/** Reads a JSON config file; its keys are the `Config` names. */
export async function readConfigFile(path: string): Promise<Layer> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new Error("not an object");
    }
    return parsed;
  } catch (e) {
    throw new ConfigError(`config file ${path} is not a JSON object: ${(e as Error).message}`);
  }
}
