/** What the CLI's exit code says: 0 success, 1 the pipeline did not succeed, 2 usage, 3 API error. */
export const EXIT = { ok: 0, pipelineFailed: 1, usage: 2, api: 3 } as const;

/** A mistake in the command line (or its config file): exit 2 with the usage. */
export class UsageError extends Error {
  readonly usage: string | undefined;
  constructor(message: string, usage?: string) {
    super(message);
    this.name = 'UsageError';
    this.usage = usage;
  }
}
