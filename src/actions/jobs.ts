/**
 * Long work started over HTTP (a re-analysis of all history, an export, a reprocess) runs as a job: the
 * request answers at once with its id, and the CLI polls `GET /api/jobs/{id}` for progress and the result.
 * Jobs live in the service's memory; the newest `keep` finished ones are kept for their callers to read.
 */

export interface JobStatus {
  id: number;
  kind: string;
  state: "running" | "done" | "failed";
  done: number;
  total: number;
  startedAt: string;
  finishedAt: string | null;
  result?: unknown;
  error?: string;
  code?: string;
}

/** Reports progress: `done` of `total` units. */
export type Progress = (done: number, total: number) => void;

export class JobRegistry {
  #jobs = new Map<number, JobStatus>();
  #next = 1;

  constructor(private readonly keep = 50) {}

  /** Starts `work` and returns its status at once; `codeOf` names a failure's code (e.g. `disk_full`). */
  start(
    kind: string,
    work: (progress: Progress) => Promise<unknown>,
    codeOf?: (e: unknown) => string,
  ): JobStatus {
    const job: JobStatus = {
      id: this.#next++,
      kind,
      state: "running",
      done: 0,
      total: 0,
      startedAt: new Date().toISOString(),
      finishedAt: null,
    };
    this.#jobs.set(job.id, job);
    work((done, total) => Object.assign(job, { done, total }))
      .then((result) => Object.assign(job, { state: "done", result }))
      .catch((e) => Object.assign(job, { state: "failed", error: (e as Error).message, code: codeOf?.(e) }))
      .finally(() => {
        job.finishedAt = new Date().toISOString();
        this.#prune();
      });
    return { ...job };
  }

  get(id: number): JobStatus | null {
    const job = this.#jobs.get(id);
    return job ? { ...job } : null;
  }

  /** Jobs still running, so a stopping service can wait for them. */
  running(): number {
    return [...this.#jobs.values()].filter((j) => j.state === "running").length;
  }

  #prune(): void {
    const finished = [...this.#jobs.values()].filter((j) => j.state !== "running");
    for (const old of finished.slice(0, Math.max(0, finished.length - this.keep))) this.#jobs.delete(old.id);
  }
}
