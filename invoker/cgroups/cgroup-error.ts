/** A cgroup operation failed; the message names the file or directory. */
export class CgroupError extends Error {
  /** The errno code of the failed syscall (`EBUSY`, `ENOENT`...), when there was one. */
  readonly code: string | undefined;

  constructor(message: string, opts: { code?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'CgroupError';
    this.code = opts.code;
  }
}
