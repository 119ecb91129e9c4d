import { randomUUID } from 'node:crypto';
import { requestId as honoRequestId } from 'hono/request-id';

/** `X-Request-Id`: taken from the caller when it looks sane, generated otherwise; `c.get('requestId')`. */
export function requestId() {
  return honoRequestId({ headerName: 'X-Request-Id', limitLength: 128, generator: () => randomUUID() });
}
