import pg from 'pg';

/** Channels the database NOTIFYs on (see the migrations that create their triggers). */
export const CHANNELS = {
  /** An admitted attempt ended: its slot is free for the next queued pipeline. */
  slotFreed: 'pipeline_slot_freed',
} as const;

export interface ListenOptions {
  connectionString: string;
  channel: (typeof CHANNELS)[keyof typeof CHANNELS];
  /** Called on each notification, and after each (re)connection: what was sent meanwhile is lost. */
  onNotify: () => void;
  onError?: (err: Error) => void;
  retryMs?: number;
  applicationName?: string;
}

export interface Listener {
  stop(): Promise<void>;
}

/** A dedicated LISTEN session (a pooled client would lose it), re-established when it drops. */
export function listen(opts: ListenOptions): Listener {
  const retryMs = opts.retryMs ?? 500;
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  const connect = async () => {
    const c = new pg.Client({
      connectionString: opts.connectionString,
      application_name: opts.applicationName ?? `listen ${opts.channel}`,
    });
    client = c;
    let lost = false;
    const reconnect = (err?: Error) => {
      if (lost) return;
      lost = true;
      c.removeAllListeners('notification');
      void c.end().catch(() => {});
      if (stopped) return;
      if (err) opts.onError?.(err);
      retry = setTimeout(() => void connect(), retryMs);
    };
    c.on('error', reconnect);
    c.on('end', () => reconnect());
    c.on('notification', () => opts.onNotify());
    try {
      await c.connect();
      await c.query(`listen ${opts.channel}`);
      if (!stopped) opts.onNotify();
    } catch (err) {
      reconnect(err instanceof Error ? err : new Error(String(err)));
    }
  };
  void connect();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      await client?.end().catch(() => {});
    },
  };
}
