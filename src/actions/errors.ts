/**
 * What a person asked for that cannot be done as asked: the CLI prints the message, the HTTP layer answers
 * with the code and the status that goes with it (`not_found` 404, `bad_request` 400).
 */
export class ActionError extends Error {
  constructor(readonly code: "not_found" | "bad_request", message: string) {
    super(message);
    this.name = "ActionError";
  }
}
