// First: tracing must start before anything (here @po/runtime) loads `pg`.

import { parseConfig } from '@po/runtime';
import { GatewayEnv } from './config.ts';
import { tracing } from './instrument.ts';

const config = parseConfig(GatewayEnv, process.env);
const { runGateway } = await import('./server.ts');
await runGateway(config, tracing);
