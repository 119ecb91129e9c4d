import { PassThrough } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import { CONTAINER_NAME } from '@po/contracts';
import { ApiException, Log } from './client-node.ts';
import { kubeText, resourcePath } from './http.ts';

export interface LogLine {
  ts: Date | null;
  line: string;
}

const STAMPED = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) (.*)$/s;

/** Splits "RFC3339Nano line" as written with timestamps=true; a line without a stamp keeps ts null. */
export function parseLogLine(raw: string): LogLine {
  const m = STAMPED.exec(raw);
  if (!m) return { ts: null, line: raw };
  const ts = new Date(m[1] ?? '');
  return Number.isNaN(ts.getTime()) ? { ts: null, line: raw } : { ts, line: m[2] ?? '' };
}

/** Splits a stream of text into lines at "\n" only (readline would also split at U+2028/U+2029). */
export async function* splitLines(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of chunks) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let i = rest.indexOf('\n');
    while (i >= 0) {
      const line = rest.slice(0, i);
      yield line.endsWith('\r') ? line.slice(0, -1) : line;
      rest = rest.slice(i + 1);
      i = rest.indexOf('\n');
    }
  }
  rest += decoder.decode();
  if (rest !== '') yield rest;
}

export function parseLogText(text: string): LogLine[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => parseLogLine(l.endsWith('\r') ? l.slice(0, -1) : l));
}

export interface ReadLogOptions {
  container?: string;
  sinceSeconds?: number;
  limitBytes?: number;
}

/**
 * The whole log of a pod's container, line by line. Errors are thrown as ApiException; a 400 "waiting
 * to start" classifies as retry (classifyKubeError).
 */
export function readPodLog(
  kc: KubeConfig,
  ns: string,
  pod: string,
  opts: ReadLogOptions = {},
): Promise<LogLine[]> {
  return podLogReader(kc)(ns, pod, opts);
}

/**
 * readPodLog as a function of the kubeconfig: a plain GET of the log as text (http.ts: no generated
 * client; an empty answer, e.g. a 204, is an empty log).
 */
export function podLogReader(
  kc: KubeConfig,
): (ns: string, pod: string, opts?: ReadLogOptions) => Promise<LogLine[]> {
  return async (ns, pod, opts = {}) => {
    const query = new URLSearchParams({ container: opts.container ?? CONTAINER_NAME, timestamps: 'true' });
    if (opts.sinceSeconds !== undefined) query.set('sinceSeconds', String(opts.sinceSeconds));
    if (opts.limitBytes !== undefined) query.set('limitBytes', String(opts.limitBytes));
    const path = `${resourcePath('pods', ns, pod)}/log?${query}`;
    const text = await kubeText(kc, 'GET', path);
    return parseLogText(text);
  };
}

export interface FollowLogOptions {
  container?: string;
  sinceTime?: Date;
}

export interface LogFollow {
  /** Ends when the server closes the stream (pod finished, or an early close: re-attach with sinceTime). */
  lines: AsyncIterable<LogLine>;
  abort(): void;
}

/**
 * Follows a pod's log. The Log API hides the response body of errors, so a 400 (the usual "container is
 * waiting to start") is re-thrown with that message so classifyKubeError says retry.
 */
export function followPodLog(
  kc: KubeConfig,
  ns: string,
  pod: string,
  opts: FollowLogOptions = {},
): LogFollow {
  const stream = new PassThrough();
  // client-node pipes the response into `stream` without an error listener on the source, so an abort or
  // a dropped connection would be an uncaught error; end our side instead.
  stream.on('pipe', (src: NodeJS.ReadableStream) => {
    src.on('error', () => stream.end());
  });
  let controller: AbortController | null = null;
  let aborted = false;

  async function* generate(): AsyncGenerator<LogLine> {
    try {
      controller = await new Log(kc).log(ns, pod, opts.container ?? CONTAINER_NAME, stream, {
        follow: true,
        timestamps: true,
        ...(opts.sinceTime ? { sinceTime: opts.sinceTime.toISOString() } : {}),
      });
    } catch (err) {
      if (aborted) return;
      // No content: an empty log, and nothing to follow.
      if (err instanceof ApiException && err.code === 204) return;
      if (err instanceof ApiException && err.code === 400) {
        const message = `container in pod ${pod} is waiting to start (log not available yet)`;
        throw new ApiException(
          400,
          message,
          JSON.stringify({ kind: 'Status', code: 400, reason: 'BadRequest', message }),
          err.headers,
        );
      }
      throw err;
    }
    if (aborted) controller.abort();
    try {
      for await (const raw of splitLines(stream)) yield parseLogLine(raw);
    } finally {
      controller.abort();
    }
  }

  return {
    lines: generate(),
    abort() {
      aborted = true;
      controller?.abort();
      // The client pipes the response into our stream and does not end it on abort.
      stream.end();
    },
  };
}
