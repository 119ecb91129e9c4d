import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { MANAGED_SELECTOR } from '@po/contracts';
import { ListWatch } from './client-node.ts';
import { kubeListPages, resourcePath } from './http.ts';
import type { Logger } from './logger.ts';
import type { KubeMetrics } from './requests.ts';
import { StreamWatch } from './watch.ts';

export interface InformerOptions<T extends KubernetesObject> {
  kind: 'jobs' | 'pods';
  namespace: string;
  labelSelector: string;
  logger: Logger;
  onChange: (obj: T) => void;
  onDelete: (obj: T) => void;
  onError?: (err: unknown) => void;
  /** Restart backoff after an error (client-node stops on any non-410 error). */
  backoff?: { initialMs: number; maxMs: number };
  /** Restart when nothing (event or connect) was seen for this long; client-node reconnects every ~30 s when idle. */
  watchdogMs?: number;
  /** A list (all its pages) that takes longer fails (its requests set no timeout of their own) and the informer restarts. */
  listTimeoutMs?: number;
  /**
   * Objects per list page (`limit`, then `continue`), default 500 as client-go's reflector: a relist
   * of 10,000 pods holds one page of whole objects at a time instead of all of them.
   */
  pageSize?: number;
  /** Restarts and watch (re)connects, for po_informer_restarts_total and po_informer_watch_age_seconds. */
  metrics?: Pick<KubeMetrics, 'informerRestarted' | 'watchConnected'> | undefined;
  /**
   * What the cache keeps of each listed or watched object (e.g. slimJob/slimPod: no managedFields,
   * no pod spec): applied before client-node stores it, so the handlers and list()/get() see it too.
   * It must keep metadata.name, namespace and resourceVersion.
   */
  transform?: ((obj: T) => T) | undefined;
}

/** A Watch whose ADDED/MODIFIED/DELETED objects pass through `transform` before the ListWatch sees them. */
class TransformingWatch<T> extends StreamWatch {
  readonly #transform: (obj: T) => T;
  constructor(kc: KubeConfig, transform: (obj: T) => T) {
    super(kc);
    this.#transform = transform;
  }
  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return super.watch(
      path,
      queryParams,
      (phase, apiObj, watchObj) =>
        callback(
          phase,
          phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED'
            ? this.#transform(apiObj as T)
            : apiObj,
          watchObj,
        ),
      done,
    );
  }
}

export interface RunningInformer<T> {
  /** Resolves after the first successful list has been delivered to onChange. */
  synced: Promise<void>;
  list(): T[];
  /** One object from the cache by name, without copying the list. */
  get(name: string): T | undefined;
  stop(): Promise<void>;
}

const DEFAULT_BACKOFF = { initialMs: 1_000, maxMs: 30_000 };
const DEFAULT_WATCHDOG_MS = 5 * 60_000;
const DEFAULT_LIST_TIMEOUT_MS = 60_000;
const DEFAULT_PAGE_SIZE = 500;
const STOP_WAIT_MS = 2_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DOMException(`${what} took longer than ${ms} ms`, 'TimeoutError')),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A list-then-watch informer that keeps going: client-node handles 410 (relist) and idle timeouts itself,
 * but stops for good on any other error, so this restarts it with backoff and also restarts a watch
 * that has gone quiet for too long. Handlers must be idempotent: relists replay objects as updates.
 */
export function startInformer<T extends KubernetesObject>(
  kc: KubeConfig,
  opts: InformerOptions<T>,
): RunningInformer<T> {
  const { kind, namespace, labelSelector, logger } = opts;
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const watchdogMs = opts.watchdogMs ?? DEFAULT_WATCHDOG_MS;
  const log = { kind, namespace, labelSelector };

  const path = resourcePath(kind, namespace);

  let resolveSynced: () => void = () => {};
  const synced = new Promise<void>((resolve) => {
    resolveSynced = resolve;
  });
  let isSynced = false;

  const listTimeoutMs = opts.listTimeoutMs ?? DEFAULT_LIST_TIMEOUT_MS;
  const pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
  /** Page by page, each page transformed before the next is asked for: one page of whole objects at a time. */
  const listAll = async (): Promise<KubernetesListObject<T>> => {
    const items: T[] = [];
    const resourceVersion = await kubeListPages<T>(
      kc,
      path,
      { labelSelector, limit: pageSize },
      (page) => {
        for (const item of page) items.push(opts.transform ? opts.transform(item) : item);
      },
      () => stopped,
    );
    return { metadata: { resourceVersion }, items };
  };
  const listFn = async (): Promise<KubernetesListObject<T>> => {
    const request = listAll();
    // A late answer is dropped: the chain that asked has already failed and been restarted.
    request.catch(() => {});
    const list = await withTimeout(request, listTimeoutMs, `list ${kind}`);
    if (!isSynced) {
      isSynced = true;
      // ListWatch delivers the list's items right after this promise settles, synchronously.
      setImmediate(resolveSynced);
    }
    return list;
  };

  const watch = opts.transform ? new TransformingWatch<T>(kc, opts.transform) : new StreamWatch(kc);
  const lw = new ListWatch<T>(path, watch, listFn, false, labelSelector);

  let stopped = false;
  let delayMs = backoff.initialMs;
  let restartTimer: NodeJS.Timeout | undefined;
  let lastSeen = Date.now();
  const seen = () => {
    lastSeen = Date.now();
  };

  const safely = (fn: (obj: T) => void, what: string) => (obj: T) => {
    if (stopped) {
      // client-node goes on to watch when stop() lands during a list; close that watch now.
      void lw.stop();
      return;
    }
    seen();
    delayMs = backoff.initialMs;
    try {
      fn(obj);
    } catch (err) {
      logger.error({ ...log, err, name: obj.metadata?.name }, `informer ${what} handler threw`);
    }
  };
  lw.on('add', safely(opts.onChange, 'add'));
  lw.on('update', safely(opts.onChange, 'update'));
  lw.on('delete', safely(opts.onDelete, 'delete'));
  lw.on('connect', () => {
    seen();
    opts.metrics?.watchConnected(kind);
    logger.debug(log, 'informer (re)connecting');
  });

  const restart = (why: string) => {
    if (stopped || restartTimer !== undefined) return;
    opts.metrics?.informerRestarted(kind);
    const wait = delayMs;
    delayMs = Math.min(delayMs * 2, backoff.maxMs);
    logger.warn({ ...log, delayMs: wait }, `informer restarting: ${why}`);
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (stopped) return;
      seen();
      starting = lw
        .stop()
        .then(() => (stopped ? undefined : lw.start()))
        .catch((err: unknown) => {
          opts.onError?.(err);
          restart(`start failed: ${String(err)}`);
        });
    }, wait);
  };

  lw.on('error', (err?: unknown) => {
    if (stopped) return;
    opts.onError?.(err);
    restart(err instanceof Error ? err.message : String(err));
  });

  const watchdog = setInterval(
    () => {
      if (Date.now() - lastSeen > watchdogMs) restart(`no event or connect for ${watchdogMs} ms`);
    },
    Math.max(10, Math.min(watchdogMs / 4, 30_000)),
  );
  watchdog.unref();

  let starting: Promise<void> = lw.start().catch((err: unknown) => {
    opts.onError?.(err);
    restart(`start failed: ${String(err)}`);
  });

  return {
    synced,
    list: () => [...lw.list(namespace)],
    get: (name) => lw.get(name, namespace),
    async stop() {
      stopped = true;
      clearInterval(watchdog);
      if (restartTimer !== undefined) clearTimeout(restartTimer);
      restartTimer = undefined;
      await lw.stop();
      // A start in flight (list, then watch) ignores stop(); wait for it (bounded) and stop what it opened.
      // Anything later is closed by the event handlers, which stop the watch once `stopped` is set.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        starting,
        new Promise<void>((r) => {
          timer = setTimeout(r, STOP_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
      await lw.stop();
    },
  };
}

/** An informer over the objects this product manages (MANAGED_SELECTOR) in one namespace; its logs name kind and namespace. */
export function startManagedInformer<T extends KubernetesObject>(
  kc: KubeConfig,
  kind: 'jobs' | 'pods',
  namespace: string,
  logger: Logger,
  handlers: Pick<InformerOptions<T>, 'onChange' | 'onDelete' | 'metrics' | 'transform'>,
): RunningInformer<T> {
  return startInformer<T>(kc, {
    kind,
    namespace,
    labelSelector: MANAGED_SELECTOR,
    logger,
    ...handlers,
  });
}
