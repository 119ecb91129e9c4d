import type { Duplex } from 'node:stream';
import { RequestError } from '@hono/node-server';
import type { ErrorType } from '@po/contracts';

/** Node's own answers to a request it could not parse, as [status, reason, kind, message]. */
function answerFor(code: string | undefined): [number, string, ErrorType, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'Request Header Fields Too Large', 'PayloadTooLarge', 'Request header fields too large'];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, 'Payload Too Large', 'PayloadTooLarge', 'Request chunk extensions too large'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'Request Timeout', 'Timeout', 'Request not received in time'];
    default:
      return [400, 'Bad Request', 'InvalidConfig', 'Invalid pipeline configuration: malformed HTTP request'];
  }
}

/** The raw HTTP/1.1 response for a `clientError`: the seed's `{"error","type"}` body, then close. */
export function clientErrorResponse(code: string | undefined): string {
  const [status, reason, type, error] = answerFor(code);
  const body = JSON.stringify({ error, type });
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/**
 * node:http's `clientError` listener (a listener replaces Node's bare default answer): a malformed
 * request line, oversized headers or a header timeout get the seed's error body, as Node would
 * answer them otherwise; a reset or half-answered socket is just closed.
 */
export function onClientError(err: Error & { code?: string }, socket: Duplex): void {
  const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || answering?.headersSent) {
    socket.destroy();
    return;
  }
  socket.end(clientErrorResponse(err.code));
}

/**
 * @hono/node-server's `errorHandler`: a request Node parsed but no `Request` can be built from (a
 * target of `*`, an absolute URL with another scheme, a backslash in the path) would be a bare 400;
 * a fetch that rejects, a bare 500. Both get the seed's body.
 */
export function onRequestError(err: unknown): Response {
  if (err instanceof RequestError) {
    return Response.json(
      { error: `Invalid pipeline configuration: malformed request (${err.message})`, type: 'InvalidConfig' },
      { status: 400 },
    );
  }
  return Response.json({ error: 'Internal server error', type: 'Internal' }, { status: 500 });
}
