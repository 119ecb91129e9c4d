/**
 * Admin command: `DATABASE_URL=... pnpm exec node apps/gateway/src/cli.ts create-key --tenant acme --role submitter --name ci`
 * prints the new key once (only its sha256 is stored).
 */
import { parseArgs } from 'node:util';
import { createDb } from '@po/db';
import { parseConfig } from '@po/runtime';
import { z } from 'zod';
import { createApiKey } from './middleware/auth/keys.ts';

const env = parseConfig(z.object({ DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }) }), process.env);
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    tenant: { type: 'string', default: 'default' },
    role: { type: 'string', default: 'submitter' },
    name: { type: 'string', default: 'cli' },
  },
});
const Args = z.object({
  command: z.literal('create-key'),
  tenant: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
  role: z.enum(['admin', 'submitter', 'viewer']),
  name: z.string().min(1).max(100),
});
const args = Args.safeParse({ command: positionals[0], ...values });
if (!args.success) {
  console.error('usage: cli.ts create-key --tenant <tenant> --role admin|submitter|viewer --name <name>');
  process.exit(2);
}
const { db, close } = createDb({ connectionString: env.DATABASE_URL });
try {
  const k = await createApiKey(db, {
    tenantId: args.data.tenant,
    role: args.data.role,
    name: args.data.name,
  });
  console.log(JSON.stringify(k));
} finally {
  await close();
}
