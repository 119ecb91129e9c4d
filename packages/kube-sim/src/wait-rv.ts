// A read at a resourceVersion the server has not reached yet waits for it, as the watch cache does,
// for up to 3 seconds; then it is a 504 "Too large resource version" the client may retry after 1 s.
import { ApiError } from './status.ts';
import type { Store } from './store.ts';

export const BLOCK_TIMEOUT_MS = 3_000;

export function tooLargeResourceVersion(wanted: number, current: number): ApiError {
  return new ApiError(
    504,
    'Timeout',
    `Timeout: Too large resource version: ${wanted}, current: ${current}`,
    {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    },
    { 'Retry-After': '1' },
  );
}

export async function waitForResourceVersion(store: Store, rv: number, timeoutMs = BLOCK_TIMEOUT_MS) {
  if (store.resourceVersion >= rv) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(tooLargeResourceVersion(rv, store.resourceVersion));
    }, timeoutMs);
    const unsubscribe = store.subscribe(() => {
      if (store.resourceVersion < rv) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });
}
