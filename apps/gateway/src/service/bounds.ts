export interface ConfigBounds {
  maxDepth: number;
  maxStringLength: number;
  maxKeys: number;
  maxArrayLength: number;
}

export const DEFAULT_BOUNDS: ConfigBounds = {
  maxDepth: 8,
  maxStringLength: 8192,
  maxKeys: 256,
  maxArrayLength: 1000,
};

/** Returns `field: why` for the first bound a config exceeds, or null. */
export function checkConfigBounds(config: unknown, b: ConfigBounds = DEFAULT_BOUNDS): string | null {
  let keys = 0;
  const walk = (v: unknown, path: string, depth: number): string | null => {
    if (depth > b.maxDepth) return `${path}: nested deeper than ${b.maxDepth} levels`;
    if (typeof v === 'string') {
      return v.length > b.maxStringLength ? `${path}: longer than ${b.maxStringLength} characters` : null;
    }
    if (Array.isArray(v)) {
      if (v.length > b.maxArrayLength) return `${path}: more than ${b.maxArrayLength} items`;
      for (let i = 0; i < v.length; i++) {
        const r = walk(v[i], `${path}[${i}]`, depth + 1);
        if (r) return r;
      }
      return null;
    }
    if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        keys += 1;
        if (keys > b.maxKeys) return `${path}: more than ${b.maxKeys} keys in total`;
        if (k.length > 256) return `${path}: a key is longer than 256 characters`;
        const r = walk(x, `${path}.${k}`, depth + 1);
        if (r) return r;
      }
    }
    return null;
  };
  return walk(config, 'config', 1);
}
