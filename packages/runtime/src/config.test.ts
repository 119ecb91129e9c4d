import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { ConfigError, commonEnv, opsPort, parseConfig } from './config.ts';

const schema = z.object({ ...commonEnv, OPS_PORT: opsPort(9100), WORKERS: z.coerce.number().int().min(1) });

test('configuration is typed, with defaults applied', () => {
  const c = parseConfig(schema, { DATABASE_URL: 'postgres://u@h:5432/db', WORKERS: '4' });
  assert.equal(c.WORKERS, 4);
  assert.equal(c.OPS_PORT, 9100);
  assert.equal(c.BUS_PREFIX, 'po');
  assert.equal(c.NATS_URL, 'nats://127.0.0.1:4222');
});

test('bad configuration fails naming every bad variable', () => {
  assert.throws(
    () => parseConfig(schema, { DATABASE_URL: 'mysql://x', WORKERS: '0', BUS_PREFIX: 'Has.Dots' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^invalid configuration: /);
      for (const name of ['DATABASE_URL', 'WORKERS', 'BUS_PREFIX'])
        assert.match(err.message, new RegExp(name));
      return true;
    },
  );
  assert.throws(() => parseConfig(schema, { WORKERS: '1' }), /DATABASE_URL: required/);
});
