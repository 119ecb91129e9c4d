// First (a bare import: never reordered): tracing starts before anything (@po/runtime) loads `pg`.
import './instrument.ts';
import { parseConfig } from '@po/runtime';
import { GatewayEnv } from './config.ts';
import { tracing } from './instrument.ts';

const config = parseConfig(GatewayEnv, process.env);
const { runGateway } = await import('./server.ts');
await runGateway(config, tracing);
