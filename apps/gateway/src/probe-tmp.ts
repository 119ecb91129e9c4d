import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendRaw } from './fuzz/raw-http.ts';
import { serveHttp } from './server.ts';
import { createHarness } from './testing/harness.ts';

const h = await createHarness();
const r = await h.app.request('/', { method: 'HEAD', headers: { authorization: `Bearer ${h.devKey}` } });
console.log(r.status, [...r.headers], JSON.stringify(await r.text()));
const server = serveHttp(h.app.fetch, 0, '127.0.0.1') as Server;
await new Promise((r) => server.once('listening', r));
const port = (server.address() as AddressInfo).port;
const a = await sendRaw(port, Buffer.from('GET * HTTP/1.1\r\nHost: gateway.test\r\n\r\n'), 5000);
console.log(a);
server.closeAllConnections();
server.close();
await h.close();
