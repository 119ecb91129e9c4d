/**
 * Renders the `authorization` block of the NATS server configuration: one user per service role and
 * per tenant, with the permissions of `./permissions.ts`. `infra/nats/auth.conf` is this rendering for
 * prefix `po` with passwords read from the server's environment; the dev command and the tests render
 * it with generated passwords (`@po/devstack` startNats).
 */
import {
  natsUserOf,
  SERVICE_ROLES,
  type ServiceRole,
  type SubjectPermissions,
  servicePermissions,
  tenantPermissions,
} from './permissions.ts';

/** A literal password, or the name of an environment variable of the nats-server process. */
export type PasswordSource = { value: string } | { env: string };

export interface NatsAuthOptions {
  prefix: string;
  tenants?: readonly string[];
  password(who: { role: ServiceRole } | { tenant: string }): PasswordSource;
  /**
   * An unrestricted `<prefix>-operator` user for people and tools (inspecting streams, the tests'
   * assertions); no service ever uses it. Omitted: no such user.
   */
  operator?: PasswordSource;
}

/** `PO_NATS_PASSWORD_GATEWAY`, `PO_NATS_PASSWORD_TENANT_ACME`: what infra's Secrets provide. */
export function passwordEnvName(who: { role: ServiceRole } | { tenant: string }): string {
  const name = 'role' in who ? who.role : `tenant-${who.tenant}`;
  return `PO_NATS_PASSWORD_${name.toUpperCase().replaceAll('-', '_')}`;
}

const list = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;

function userBlock(user: string, password: PasswordSource, p: SubjectPermissions): string {
  const pw = 'env' in password ? `$${password.env}` : JSON.stringify(password.value);
  return [
    '    {',
    `      user: ${JSON.stringify(user)}`,
    `      password: ${pw}`,
    '      permissions: {',
    `        publish: { allow: ${list(p.publish)} }`,
    `        subscribe: { allow: ${list(p.subscribe)} }`,
    ...(p.allowResponses ? ['        allow_responses: true'] : []),
    '      }',
    '    }',
  ].join('\n');
}

export function renderNatsAuth(opts: NatsAuthOptions): string {
  const services = servicePermissions(opts.prefix);
  const blocks = [
    ...SERVICE_ROLES.map((role) =>
      userBlock(natsUserOf(opts.prefix, { role }), opts.password({ role }), services[role]),
    ),
    ...(opts.operator
      ? [userBlock(`${opts.prefix}-operator`, opts.operator, { publish: ['>'], subscribe: ['>'] })]
      : []),
    ...(opts.tenants ?? []).map((tenant) =>
      userBlock(
        natsUserOf(opts.prefix, { tenant }),
        opts.password({ tenant }),
        tenantPermissions(opts.prefix, tenant),
      ),
    ),
  ];
  return [
    `# NATS users of prefix "${opts.prefix}": rendered by @po/bus renderNatsAuth; do not edit by hand.`,
    'authorization {',
    '  users = [',
    blocks.join('\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}
