/**
 * Prints the NATS users block (infra/nats/auth.conf) for a bus prefix, with passwords read from the
 * nats-server's environment (PO_NATS_PASSWORD_<ROLE>, PO_NATS_PASSWORD_TENANT_<TENANT>).
 *
 *   node scripts/nats-auth.ts --prefix po --tenant acme --tenant globex > infra/nats/auth.conf
 *
 * Issuing a tenant's NATS user: add `--tenant <id>`, re-render, put the tenant's password in the
 * server's Secret, reload the server (`nats-server --signal reload`, or SIGHUP). See docs/security.md.
 */
import { parseArgs } from 'node:util';
import { passwordEnvName, renderNatsAuth } from '@po/bus';

const { values } = parseArgs({
  options: {
    prefix: { type: 'string', default: 'po' },
    tenant: { type: 'string', multiple: true, default: [] },
    operator: { type: 'boolean', default: true },
  },
});
process.stdout.write(
  renderNatsAuth({
    prefix: values.prefix,
    tenants: values.tenant,
    password: (who) => ({ env: passwordEnvName(who) }),
    ...(values.operator ? { operator: { env: 'PO_NATS_PASSWORD_OPERATOR' } } : {}),
  }),
);
