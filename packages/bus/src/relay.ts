import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { type Database, markOutboxPublished, relayOutbox } from '@po/db';
import type { Kysely } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { type BusMetrics, metricSubject } from './metrics.ts';
import { publishRaw } from './publish.ts';

const LISTENER_RETRY_MS = 500;

export interface OutboxRelayOptions {
  db: Kysely<Database>;
  /** For the dedicated LISTEN connection (LISTEN needs a session; a pooled client would lose it). */
  connectionString: string;
  nc: NatsConnection;
  logger: Logger;
  pollMs?: number;
  batchSize?: number;
  /**
   * After a wake-up from idle, wait this long before claiming rows, so the commits of the next few
   * milliseconds share one pass. Default 0: every message then waits for nothing but the pass in
   * progress (commits during a pass share the next one, so batches grow with the load by themselves).
   */
  coalesceMs?: number;
  /**
   * How long acknowledged rows may wait for the next pass to mark them before a pass runs for that
   * alone (default 200 ms): under load the next pass comes sooner, so the mark costs nothing.
   */
  markDelayMs?: number;
  /** How often a standby relay tries to become the active one (default 1000 ms). */
  standbyCheckMs?: number;
  metrics?: BusMetrics;
}

export interface OutboxRelay {
  stop(): Promise<void>;
  /** Look for rows now (e.g. right after a commit in this process). */
  kick(): void;
}

/** Session advisory lock held by the active relay of a database, on its LISTEN connection. */
const LEADER_LOCK = `select pg_try_advisory_lock(hashtext('po.outbox.relay')) as leader`;
const LEADER_UNLOCK = `select pg_advisory_unlock(hashtext('po.outbox.relay'))`;
/** Consecutive failed passes after which the active relay steps down. */
const STEP_DOWN_AFTER_FAILURES = 5;

/**
 * Moves committed outbox rows to JetStream (invariant 2). Every service runs one, but only one per
 * database is active: the one holding a session advisory lock on its LISTEN connection; the others
 * stand by and try for the lock every `standbyCheckMs`, so when the active one's process or
 * connection dies another takes over within about that time. (Five relays all waking on every
 * NOTIFY to find the rows already claimed cost more than the publishing itself.)
 * NOTIFY wakes the active relay; polling covers notifications lost while its listener was down.
 * Wake-ups coalesce: any number of NOTIFYs during a pass cause one more pass. A pass is one
 * statement (`relayOutbox`): it marks the rows the previous pass had acknowledged and claims up to
 * `batchSize` more. So the mark of a batch rides on the next pass — the next NOTIFY's, or one
 * `markDelayMs` later — and a pass costs one round trip, not a transaction of four. A row is marked
 * published only after its PubAck; one acknowledged but not yet marked when the relay dies is
 * published again by the next, and Nats-Msg-Id = msg_id makes that (and any re-publish by an old
 * and a new active relay during a hand-over) a duplicate the stream drops.
 */
export function startOutboxRelay(opts: OutboxRelayOptions): OutboxRelay {
  const js = jetstream(opts.nc);
  const log = opts.logger.child({ component: 'outbox-relay' });
  const pollMs = opts.pollMs ?? 1000;
  const batchSize = opts.batchSize ?? 500;
  const coalesceMs = opts.coalesceMs ?? 0;
  const markDelayMs = opts.markDelayMs ?? 200;
  const standbyCheckMs = opts.standbyCheckMs ?? 1000;
  let stopped = false;
  /** True while this relay holds the lock on a live LISTEN connection. */
  let leading = false;
  let pending = true;
  let wake: (() => void) | undefined;
  let listener: pg.Client | undefined;
  let listenerRetry: NodeJS.Timeout | undefined;
  let standbyWake: (() => void) | undefined;
  /** Consecutive failed passes of the active relay. */
  let failures = 0;
  /** Rows JetStream acknowledged that are not yet marked published: the next pass marks them. */
  let acked: string[] = [];

  const kick = () => {
    pending = true;
    wake?.();
  };

  const waitForWork = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, acked.length > 0 ? Math.min(markDelayMs, pollMs) : pollMs);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const standbySleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      standbyWake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /** Stands by on `client` until it holds the lock, then listens and becomes the active relay. */
  async function lead(client: pg.Client): Promise<void> {
    while (!stopped && listener === client) {
      const { rows } = await client.query<{ leader: boolean }>(LEADER_LOCK);
      if (rows[0]?.leader) break;
      await standbySleep(standbyCheckMs);
    }
    if (stopped || listener !== client) return;
    await client.query('LISTEN outbox');
    leading = true;
    failures = 0;
    log.debug('active outbox relay');
    kick(); // anything committed while not listening
  }

  /**
   * An active relay that keeps failing (its NATS connection is down, say) lets another one take
   * over: it gives the lock back and stands by for a while before trying for it again.
   */
  async function stepDown(): Promise<void> {
    const client = listener;
    if (!client || !leading) return;
    leading = false;
    log.warn({ failures }, 'outbox relay keeps failing; letting another relay take over');
    try {
      await client.query(LEADER_UNLOCK);
      await standbySleep(standbyCheckMs * 3);
      await lead(client);
    } catch (err) {
      client.emit('error', err instanceof Error ? err : new Error(String(err)));
    }
  }

  async function listen(): Promise<void> {
    if (stopped) return;
    const client = new pg.Client({
      connectionString: opts.connectionString,
      application_name: 'outbox-relay',
    });
    const reconnect = (err?: Error) => {
      if (listener !== client) return;
      listener = undefined;
      leading = false; // the lock went with the session
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (stopped) return;
      if (err) log.warn({ err }, 'outbox listener lost; reconnecting');
      listenerRetry = setTimeout(() => void listen(), LISTENER_RETRY_MS);
    };
    listener = client;
    client.on('error', reconnect);
    client.on('end', () => reconnect());
    client.on('notification', kick);
    try {
      await client.connect();
      await lead(client);
    } catch (err) {
      reconnect(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * One pass: marks the previous pass's acknowledged rows and claims the next batch in one
   * statement, then publishes the batch; returns how many rows it claimed. A row whose publish
   * failed stays unpublished for the next round.
   */
  async function relayBatch(): Promise<number> {
    const rows = await relayOutbox(opts.db, acked, batchSize);
    acked = [];
    // Every row of the batch is published at once (pipelined on the one connection, so they reach
    // the stream in id order) and the PubAcks are awaited together: one round trip per batch, not
    // one per row.
    const acks = await Promise.allSettled(
      rows.map((row) =>
        context.with(propagation.extract(ROOT_CONTEXT, row.headers), () =>
          publishRaw(js, row.subject, row.msg_id, row.payload),
        ),
      ),
    );
    let failure: unknown;
    acks.forEach((ack, i) => {
      const row = rows[i];
      if (!row) return;
      if (ack.status === 'rejected') {
        failure ??= ack.reason;
        return;
      }
      acked.push(row.id);
      opts.metrics?.published(metricSubject(row.subject));
    });
    if (failure !== undefined) throw failure;
    return rows.length;
  }

  const loop = (async () => {
    void listen();
    while (!stopped) {
      if (!leading) {
        // Standing by: the listener becomes active when it gets the lock (and kicks).
        await waitForWork();
        continue;
      }
      if (!pending) {
        await waitForWork();
        if (coalesceMs > 0 && !stopped) await new Promise((r) => setTimeout(r, coalesceMs));
      }
      if (stopped) break;
      pending = false;
      try {
        // A full batch may leave more behind: claim again at once.
        while (!stopped && (await relayBatch()) === batchSize) {}
        failures = 0;
      } catch (err) {
        failures++;
        log.warn({ err }, 'outbox relay failed; rows stay for the next round');
        if (failures >= STEP_DOWN_AFTER_FAILURES) void stepDown();
        else if (!stopped) await waitForWork();
        pending = true;
      }
    }
  })();

  let stopping: Promise<void> | undefined;
  return {
    kick,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        clearTimeout(listenerRetry);
        standbyWake?.();
        wake?.();
        await loop;
        await markOutboxPublished(opts.db, acked).catch(() => {});
        const client = listener;
        listener = undefined;
        await client?.end().catch(() => {});
      })();
      return stopping;
    },
  };
}
