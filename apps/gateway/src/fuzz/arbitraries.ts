/** Hostile inputs for the fuzz suite: string classes, odd numbers and ids, mutated and huge JSON. */
import fc from 'fast-check';

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const control = fc
  .integer({ min: 0, max: 0x9f })
  .filter((c) => c < 0x20 || c >= 0x7f)
  .map((c) => String.fromCharCode(c));

/** Strings Postgres, a shell, a template engine, a URL or a log reader may choke on. */
export const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\ud83d',
  '\u001b[31mred',
  '\u007f',
  '\u0085',
  '\u2028',
  'a\u2029b',
  '\t\n\r',
  '\ufeff',
  '\uffff',
  '😀',
  "' OR 1=1 --",
  '"; DROP TABLE pipelines; --',
  '$(id)',
  '`id`',
  '; rm -rf /',
  '--help',
  '-rf',
  '{{config}}',
  '{{input_path}}',
  '$' + '{jndi:ldap://x/a}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00',
  '%ZZ',
  '%ED%A0%80',
  '%C0%80',
  '\\',
  'null',
  '__proto__',
  'constructor',
  'default',
  'a'.repeat(300),
  'é'.repeat(3000),
] as const;

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 6 }), fc.oneof(loneSurrogate, control), fc.string({ maxLength: 6 }))
      .map(([a, b, c]) => a + b + c),
  },
);

/** Numbers as query strings: overflow, non-integers, notations the coercion may half-accept. */
export const ODD_NUMBERS = [
  '-1',
  '0',
  '1',
  '1.5',
  '1e3',
  '1e400',
  '-0',
  '0x10',
  ' 7',
  'NaN',
  'Infinity',
  '2147483647',
  '2147483648',
  '4294967296',
  '9007199254740993',
  '9223372036854775807',
  '9223372036854775808',
  '99999999999999999999999999',
  '',
] as const;

export const oddNumber: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...ODD_NUMBERS),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.double().map(String),
);

export const oddDate: fc.Arbitrary<string> = fc.constantFrom(
  '2026-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999Z',
  '2026-02-30T00:00:00Z',
  '2026-01-01T25:00:00Z',
  '2026-01-01',
  '2026-01-01T00:00:00+99:99',
  'yesterday',
);

/** A cursor: base64url of `micros.uuid` with micros anywhere from 0 to 20 digits, or garbage. */
export const oddCursor: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(fc.bigInt({ min: 0n, max: 10n ** 20n - 1n }), fc.uuid())
    .map(([us, id]) => Buffer.from(`${us}.${id}`).toString('base64url')),
  hostileString,
  fc.string({ unit: 'binary-ascii', maxLength: 200 }).map((s) => Buffer.from(s).toString('base64url')),
);

/** Any JSON value, small. */
export const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });

/** A value a field should not get: wrong types, hostile strings, huge numbers, nesting. */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  anyJson,
  fc.constantFrom(null, true, 0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, [], {}, [null], { Custom: {} }),
  fc.constantFrom(...ODD_NUMBERS).map(Number),
  fc.dictionary(hostileString, fc.oneof(hostileString, fc.integer()), { maxKeys: 3 }),
);

/** Replace, add or drop one field somewhere in a JSON value; leaves the rest as it was. */
export function mutate(value: unknown): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(v)) for (const [i, x] of v.entries()) walk(x, [...path, i]);
    else if (v !== null && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(value, []);
  return fc
    .tuple(
      fc.constantFrom(...paths),
      fc.constantFrom('replace', 'add', 'drop'),
      fc.oneof(hostileString, fc.string({ maxLength: 8 })),
      wrongValue,
    )
    .map(([path, op, key, v]) => {
      const copy = structuredClone(value) as unknown;
      if (path.length === 0) return op === 'replace' ? v : copy;
      const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], copy);
      const last = path.at(-1) as string | number;
      const o = parent as Record<string | number, unknown>;
      if (op === 'replace') o[last] = v;
      else if (op === 'drop') delete o[last];
      else if (!Array.isArray(o[last]) && o[last] !== null && typeof o[last] === 'object')
        (o[last] as Record<string, unknown>)[key] = v;
      else o[last] = { [key]: v };
      return copy;
    });
}

/** Raw bodies: malformed, deep, huge, wrong top-level types. */
export function rawBody(maxBodyBytes: number): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      '',
      '{',
      '}',
      'null',
      '[]',
      '"x"',
      '1',
      'true',
      '{"a":}',
      '\ufeff{}',
      '{"a":NaN}',
      '{"a":1,"a":2}',
    ),
    fc.integer({ min: 1, max: 40_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
    fc.integer({ min: 1, max: 20_000 }).map((n) => `{"config":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`),
    fc
      .integer({ min: maxBodyBytes - 64, max: maxBodyBytes + 64 })
      .map(
        (n) => `{"pipeline_type":"ETL","priority":"Low","config":{"s":"${'x'.repeat(Math.max(0, n - 60))}"}}`,
      ),
    fc.string({ unit: 'binary', maxLength: 64 }),
  );
}
