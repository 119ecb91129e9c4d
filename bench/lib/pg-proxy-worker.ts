import { createConnection, createServer } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { type PgCounts, PgFrontendCounter } from './pg-wire.ts';

const upstream = workerData as { host: string; port: number; texts?: boolean };
const counts: PgCounts = { statements: 0, roundTrips: 0, parses: 0, connections: 0 };
const texts = upstream.texts ? new Map<string, number>() : undefined;

const server = createServer((client) => {
  const counter = new PgFrontendCounter(counts, texts);
  const db = createConnection(upstream);
  client.on('data', (d: Buffer) => counter.feed(d));
  client.pipe(db);
  db.pipe(client);
  const close = () => {
    client.destroy();
    db.destroy();
  };
  client.on('error', close).on('close', close);
  db.on('error', close).on('close', close);
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  parentPort?.postMessage(typeof addr === 'object' && addr ? addr.port : 0);
});
parentPort?.on('message', (m: string) =>
  parentPort?.postMessage(m === 'texts' ? [...(texts ?? [])] : { ...counts }),
);
