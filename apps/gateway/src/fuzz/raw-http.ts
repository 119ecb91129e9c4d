/** Raw HTTP/1.1 over a socket, for what fetch will not send: bad request lines, huge or broken headers. */
import { connect } from 'node:net';

export interface RawAnswer {
  /** null: the server closed without answering. */
  status: number | null;
  contentType: string | null;
  body: string;
  /** The deadline passed before the server answered or closed. */
  timedOut: boolean;
}

/** Sends `payload`, half-closes, and reads the first final (non-1xx) response. */
export function sendRaw(port: number, payload: Buffer, deadlineMs: number): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ port, host: '127.0.0.1' });
    let done = false;
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseFirst(Buffer.concat(chunks)), timedOut });
    };
    const timer = setTimeout(() => finish(true), deadlineMs);
    socket.on('connect', () => {
      socket.write(payload);
      socket.end();
    });
    socket.on('data', (d) => {
      chunks.push(d);
      const answer = parseFirst(Buffer.concat(chunks));
      if (answer.complete) finish(false);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

function parseFirst(buf: Buffer): Omit<RawAnswer, 'timedOut'> & { complete: boolean } {
  let text = buf.toString('latin1');
  for (;;) {
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) return { status: statusOf(text), contentType: null, body: '', complete: false };
    const head = text.slice(0, end);
    const status = statusOf(head);
    if (status !== null && status >= 100 && status < 200) {
      text = text.slice(end + 4);
      continue;
    }
    const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? null;
    const rest = Buffer.from(text.slice(end + 4), 'latin1');
    const length = header('content-length');
    if (length !== null) {
      const n = Number(length);
      return {
        status,
        contentType: header('content-type'),
        body: rest.subarray(0, n).toString('utf8'),
        complete: rest.length >= n,
      };
    }
    if (/chunked/i.test(header('transfer-encoding') ?? '')) {
      const { body, complete } = dechunk(rest);
      return { status, contentType: header('content-type'), body, complete };
    }
    return { status, contentType: header('content-type'), body: rest.toString('utf8'), complete: false };
  }
}

function statusOf(head: string): number | null {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  return m ? Number(m[1]) : null;
}

function dechunk(buf: Buffer): { body: string; complete: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return { body: Buffer.concat(parts).toString('utf8'), complete: false };
    const size = Number.parseInt(buf.subarray(at, eol).toString('latin1'), 16);
    if (Number.isNaN(size)) return { body: Buffer.concat(parts).toString('utf8'), complete: true };
    if (size === 0) return { body: Buffer.concat(parts).toString('utf8'), complete: true };
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
