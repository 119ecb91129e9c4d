// First: tracing must start before anything (here @po/runtime) loads `pg`.
import { tracing } from './instrument.ts';

import { parseConfig } from '@po/runtime';
import { GatewayEnv } from './config.ts';

const config = parseConfig(GatewayEnv, process.env);
const { runGateway } = await import('./server.ts');
await runGateway(config, tracing);
