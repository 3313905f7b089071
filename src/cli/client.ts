/**
 * The CLI's way through a running service: DuckDB lets one process open the database, so while `lta serve`
 * runs on it every command asks the service (found by its state file beside the database) instead.
 */
import type { Config } from "../config/config.ts";
import type { JobStatus } from "../actions/jobs.ts";
import { findRunningService, serviceUrl } from "../server/state_file.ts";

/** The service's `{"error", "code"}` answer, as thrown to the CLI (which prints the message). */
export class ServiceError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = "ServiceError";
  }
}

export class ServiceClient {
  private constructor(private readonly base: string, private readonly token: string | undefined) {}

  /** The running service for `config.db`, or `null` when none answers. */
  static async find(config: Config): Promise<ServiceClient | null> {
    const state = await findRunningService(config.db);
    return state ? new ServiceClient(serviceUrl(state), config.httpToken || undefined) : null;
  }

  /** A request to `route`; a non-2xx answer throws its error message. */
  async request(method: "GET" | "POST", route: string, payload?: unknown): Promise<Response> {
    const res = await fetch(`${this.base}${route}`, {
      method,
      headers: {
        ...(method === "POST" ? { "content-type": "application/json" } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: method === "POST" ? JSON.stringify(payload ?? {}) : undefined,
    });
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      throw new ServiceError(body.code ?? "http_error", body.error ?? `the service answered ${res.status}`);
    }
    return res;
  }

  // deno-lint-ignore no-explicit-any
  async json(method: "GET" | "POST", route: string, payload?: unknown): Promise<any> {
    return await (await this.request(method, route, payload)).json();
  }

  /**
   * Starts a job with a POST to `route` and waits for it, showing its progress; returns its result or
   * throws its error.
   */
  async job(
    route: string,
    payload: unknown,
    onProgress?: (done: number, total: number) => void,
  ): Promise<unknown> {
    let job: JobStatus = await this.json("POST", route, payload);
    while (job.state === "running") {
      await new Promise((r) => setTimeout(r, 200));
      job = await this.json("GET", `/api/jobs/${job.id}`);
      if (job.total > 0) onProgress?.(job.done, job.total);
    }
    if (job.state === "failed") throw new ServiceError(job.code ?? "failed", job.error ?? "the job failed");
    return job.result;
  }
}
