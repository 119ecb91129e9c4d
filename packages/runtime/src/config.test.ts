import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { ConfigError, commonEnv, opsPort, parseConfig, quotaEnv } from './config.ts';

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

test('quota variables: quantities in base units, empty or unset is no limit, a bad quantity is named', () => {
  const quotas = z.object(quotaEnv);
  const parsed = parseConfig(quotas, {
    TENANT_MAX_CPU: '1500m',
    TENANT_MAX_MEMORY: '16Gi',
    SCHEDULER_MAX_CPU: '',
  });
  assert.deepEqual(
    [
      parsed.TENANT_MAX_CPU,
      parsed.TENANT_MAX_MEMORY,
      parsed.SCHEDULER_MAX_CPU,
      parsed.SCHEDULER_MAX_MEMORY,
      parsed.SCHEDULER_AGING_SECONDS,
    ],
    [1500, 16 * 2 ** 30, undefined, undefined, 300],
  );
  assert.throws(
    () => parseConfig(quotas, { SCHEDULER_MAX_MEMORY: '16GB', SCHEDULER_AGING_SECONDS: '-1' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /SCHEDULER_MAX_MEMORY: '16GB' is not a Kubernetes quantity/);
      assert.match(err.message, /SCHEDULER_AGING_SECONDS/);
      return true;
    },
  );
});
