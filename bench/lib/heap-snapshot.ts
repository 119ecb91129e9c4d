/**
 * Where a V8 heap snapshot's bytes are: self sizes by node type and by constructor/name, and the
 * source text of loaded scripts by package (V8 keeps every loaded module's source in the heap, so
 * loaded-but-unused libraries — instrumentations, SDKs — show up here).
 */
interface Snapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface HeapBreakdown {
  totalMiB: number;
  byTypeMiB: Record<string, number>;
  topNamesMiB: [string, number][];
  scriptSourceMiBByPackage: [string, number][];
  scripts: number;
}

/** `node_modules/@scope/pkg/…` → `@scope/pkg`, `…/apps/x/…` → `apps/x`, else the file's top directory. */
export function packageOf(file: string): string {
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? file);
  }
  const m = /\/(apps|packages)\/([^/]+)\//.exec(file);
  if (m) return `${m[1]}/${m[2]}`;
  if (file.startsWith('node:')) return 'node: (built-in modules)';
  return file === '' ? '(unnamed: eval, wrappers)' : file;
}

const MiB = (n: number) => +(n / 2 ** 20).toFixed(2);

export function breakdown(json: string, top = 25): HeapBreakdown {
  const s = JSON.parse(json) as Snapshot;
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const nodeTypes = s.snapshot.meta.node_types[0];
  const edgeTypes = s.snapshot.meta.edge_types[0];
  const [nType, nName, nSize, nEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) =>
    nf.indexOf(f),
  ) as [number, number, number, number];
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const N = nf.length;
  const E = ef.length;
  const byType = new Map<string, number>();
  const byName = new Map<string, number>();
  const sources = new Map<string, number>();
  let total = 0;
  let scripts = 0;
  const nodeCount = s.nodes.length / N;
  let edge = 0;
  for (let i = 0; i < nodeCount; i++) {
    const base = i * N;
    const type = nodeTypes[s.nodes[base + nType] as number] ?? '?';
    const name = s.strings[s.nodes[base + nName] as number] ?? '?';
    const size = s.nodes[base + nSize] as number;
    const edges = s.nodes[base + nEdges] as number;
    total += size;
    byType.set(type, (byType.get(type) ?? 0) + size);
    const key = `${type}: ${name.length > 60 ? `${name.slice(0, 57)}...` : name}`;
    byName.set(key, (byName.get(key) ?? 0) + size);
    // A loaded script: a code node named by its file, with an internal edge to its source text.
    if (type === 'code') {
      let sourceSize = -1;
      for (let e = edge; e < edge + edges; e++) {
        const eb = e * E;
        if (edgeTypes[s.edges[eb + eType] as number] !== 'internal') continue;
        if (s.strings[s.edges[eb + eName] as number] !== 'source') continue;
        const to = s.edges[eb + eTo] as number; // an index into nodes (already times N)
        sourceSize = s.nodes[to + nSize] as number;
      }
      if (sourceSize >= 0) {
        scripts += 1;
        const pkg = packageOf(name);
        sources.set(pkg, (sources.get(pkg) ?? 0) + sourceSize);
      }
    }
    edge += edges;
  }
  const sorted = (m: Map<string, number>) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, MiB(v)] as [string, number]);
  return {
    totalMiB: MiB(total),
    byTypeMiB: Object.fromEntries(sorted(byType)),
    topNamesMiB: sorted(byName).slice(0, top),
    scriptSourceMiBByPackage: sorted(sources).slice(0, top),
    scripts,
  };
}
