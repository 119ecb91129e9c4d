export { dropDatabase } from '@po/db';
export { DEFAULT_RESTART_POLICY, nextRestartDelay, type RestartPolicy } from './backoff.ts';
export { prepareDatabase } from './database.ts';
export { type NatsCredentials, type NatsServer, type StartNatsOptions, startNats } from './nats.ts';
export { freePort } from './ports.ts';
export {
  type RunningService,
  SERVICES,
  type ServiceName,
  type System,
  type SystemOptions,
  startSystem,
} from './system.ts';
