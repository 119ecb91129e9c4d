/** Loaded first by main.ts: tracing starts before anything loads `pg`, so its instrumentation attaches. */
import { startServiceTracing } from '@po/telemetry';

export const tracing = startServiceTracing('watcher');
