/**
 * A V8 CPU profile (`--cpu-prof`) summed by layer: which part of the stack a process's busy time is
 * in, when no single function stands out. Each sample's time goes to the first group whose pattern
 * matches the sampled function's script URL (or, for native frames, its name).
 */

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface Layer {
  name: string;
  pattern: RegExp;
}

/** The layers a gateway request crosses, in match order. */
export const SERVICE_LAYERS: Layer[] = [
  { name: 'idle', pattern: /^\(idle\)$/ },
  { name: 'GC', pattern: /^\(garbage collector\)$/ },
  {
    name: 'socket writes (writev, write*String, writeBuffer)',
    pattern: /^(writev|write\w*String|writeBuffer)$/,
  },
  { name: 'HTTP: hono, @hono/node-server, node:http', pattern: /hono|_http_|node:http/ },
  { name: 'validation: zod, ajv, re2js, @po/templates', pattern: /zod|ajv|re2js|packages\/templates|^wasm:/ },
  { name: 'database: kysely, pg, @po/db', pattern: /kysely|\/pg@|\/pg-|packages\/db/ },
  { name: 'bus: NATS client, @po/bus', pattern: /nats-io|packages\/bus/ },
  {
    name: 'tracing and metrics: OpenTelemetry, prom-client',
    pattern: /opentelemetry|prom-client|packages\/telemetry/,
  },
  { name: 'service code (apps/*)', pattern: /\/apps\// },
  {
    name: 'node internals: timers, microtasks, events, streams',
    pattern: /^node:|^\(program\)$|^runMicrotasks$/,
  },
];

export interface LayerShare {
  name: string;
  ms: number;
  /** Of the busy time (idle left out). */
  share: number;
}

/** Busy and idle milliseconds, and each layer's share of the busy time ('other': no layer matched). */
export function byLayer(
  profile: CpuProfile,
  layers: Layer[] = SERVICE_LAYERS,
): {
  busyMs: number;
  idleMs: number;
  layers: LayerShare[];
} {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const us = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const f = frames.get(id);
    const key = f?.url || f?.functionName || '';
    const layer = layers.find((l) => l.pattern.test(key))?.name ?? 'other';
    us.set(layer, (us.get(layer) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const idle = us.get('idle') ?? 0;
  us.delete('idle');
  const { busyMs, shares } = sharesOf(us);
  return { busyMs, layers: shares, idleMs: idle / 1000 };
}

/** The package a script belongs to: `name@version` under node_modules/.pnpm, or `packages/x` / `apps/x`. */
export function packageOf(url: string): string | undefined {
  const m = /node_modules\/\.pnpm\/([^/]+)\//.exec(url) ?? /((?:packages|apps)\/[^/]+)\//.exec(url);
  return m?.[1]?.replace(/@\d[^_]*(_.*)?$/, '');
}

/**
 * Busy time by package: each sample goes to the nearest package on its stack, so Node's internals
 * (socket writes, streams, timers) count for the package that called them; GC and `(program)` stay
 * apart, and samples under module loading (start-up) are left out. With `children` in the profile's
 * nodes (as `--cpu-prof` writes them).
 */
export function byPackage(profile: CpuProfile & { nodes: { children?: number[] }[] }): {
  busyMs: number;
  packages: LayerShare[];
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const us = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const name = byId.get(id)?.callFrame.functionName ?? '';
    if (name === '(idle)') return;
    let key: string | undefined = name === '(garbage collector)' || name === '(program)' ? name : undefined;
    for (let c: number | undefined = id; c !== undefined; c = parent.get(c)) {
      const url = byId.get(c)?.callFrame.url ?? '';
      if (url.startsWith('node:internal/modules')) return;
      key ??= packageOf(url);
    }
    key ??= '(node, no package on the stack)';
    us.set(key, (us.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const { busyMs, shares } = sharesOf(us);
  return { busyMs, packages: shares };
}

/** Microseconds by name → the busy total in ms and each name's ms and share of it, largest first. */
function sharesOf(us: Map<string, number>): { busyMs: number; shares: LayerShare[] } {
  const busy = [...us.values()].reduce((a, b) => a + b, 0);
  return {
    busyMs: busy / 1000,
    shares: [...us]
      .map(([name, t]) => ({ name, ms: t / 1000, share: busy === 0 ? 0 : t / busy }))
      .sort((a, b) => b.ms - a.ms),
  };
}
