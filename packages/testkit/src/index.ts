/**
 * Waiting on a condition, for tests: polls `probe` until it returns a value (not undefined or
 * false) or the deadline passes. A probe that throws counts as "not yet"; the last error is in the
 * timeout's message. Never a fixed sleep: the wait ends as soon as the condition holds.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`, {
        cause: last,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
