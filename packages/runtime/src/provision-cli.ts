/**
 * `node packages/runtime/src/provision-cli.ts`: creates or updates the JetStream streams and durable
 * consumers (idempotent; safe to run on every deploy and from several places at once). Connects as
 * the provisioner NATS user (NATS_USER/NATS_PASSWORD); configured by NATS_URL and BUS_PREFIX. Each
 * service's /ready stays false until the consumers it reads from exist, so this runs before (or
 * beside) them: a Job in infra/k8s, a one-shot service in infra/compose.yaml.
 */
import { connectNats, provision, serviceInbox } from '@po/bus';
import { z } from 'zod';
import { commonEnv, daysToSeconds, deadLetterEnv, parseConfig } from './config.ts';

const config = parseConfig(
  z.object({
    NATS_URL: commonEnv.NATS_URL,
    NATS_USER: commonEnv.NATS_USER,
    NATS_PASSWORD: commonEnv.NATS_PASSWORD,
    BUS_PREFIX: commonEnv.BUS_PREFIX,
    ...deadLetterEnv,
  }),
  process.env,
);
try {
  const nc = await connectNats({
    servers: config.NATS_URL,
    name: 'provisioner',
    user: config.NATS_USER,
    password: config.NATS_PASSWORD,
    inboxPrefix: serviceInbox(config.BUS_PREFIX, 'provisioner'),
  });
  await provision(nc, config.BUS_PREFIX, {
    deadLetterMaxAgeMs: daysToSeconds(config.RETENTION_DEAD_LETTERS_DAYS) * 1000,
  });
  await nc.close();
  console.log(`streams and consumers of prefix ${config.BUS_PREFIX} provisioned`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
