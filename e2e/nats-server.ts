/** A private nats-server for tests that stop and restart it: the one launcher, @po/devstack startNats. */
import { type NatsServer, startNats } from '@po/devstack';

export type PrivateNats = NatsServer;

export function startPrivateNats(prefix: string, tenants: string[] = []): Promise<PrivateNats> {
  return startNats({ prefix, tenants });
}
