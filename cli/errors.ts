/** Bad usage: exit code 2 (SPEC §2). */
export class UsageError extends Error {}

/** A failed operation: exit code 1, printed as `title: detail`. */
export class CliError extends Error {
  constructor(readonly title: string, readonly detail: string) {
    super(`${title}: ${detail}`);
  }
}
