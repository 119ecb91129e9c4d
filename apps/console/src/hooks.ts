import { useEffect, useRef, useState } from 'preact/hooks';
import { messageOf } from './api.ts';

/** The location hash as a path and query, e.g. `#/pipelines?status=Failed`. */
export function useRoute(): { path: string; query: URLSearchParams } {
  const read = () => {
    const raw = location.hash.replace(/^#/, '') || '/pipelines';
    const [path = '/pipelines', q = ''] = raw.split('?');
    return { path, query: new URLSearchParams(q) };
  };
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onHash = () => setRoute(read());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

export function go(path: string): void {
  location.hash = `#${path}`;
}

/**
 * Loads with `load` now and again every `everyMs` (0: once) while mounted and the tab is visible;
 * `deps` changing reloads at once. Keeps the last good value while a reload fails.
 */
export function usePoll<T>(
  load: () => Promise<T>,
  deps: unknown[],
  everyMs = 0,
): { data: T | undefined; error: string | undefined; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const key = JSON.stringify(deps);
  const shownKey = useRef(key);
  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (shownKey.current !== key) {
      shownKey.current = key;
      setData(undefined);
    }
    const run = async () => {
      if (document.visibilityState !== 'hidden' || timer === undefined) {
        try {
          const v = await loadRef.current();
          if (!alive) return;
          setData(v);
          setError(undefined);
        } catch (err) {
          if (alive) setError(messageOf(err));
        }
      }
      if (alive && everyMs > 0) timer = setTimeout(run, everyMs);
    };
    void run();
    return () => {
      alive = false;
      if (timer) clearTimeout(timer);
    };
  }, [...deps, tick, everyMs]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}
