/**
 * The floor under the gateway (issue 14, goal 3): a process that answers `POST /pipelines` as
 * cheaply as Node's HTTP server can — reads and parses the JSON body, answers 201 with a body the
 * size of the gateway's — and does nothing else (no validation, database or bus). What the same load
 * generator gets from it on the same machine bounds what any Node gateway could accept.
 * Run by bench/gateway-load.ts --floor: `node bench/lib/http-floor.ts PORT`.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { priority?: string };
    const out = JSON.stringify({
      id: randomUUID(),
      status: 'Queued',
      priority: body.priority ?? 'Normal',
      created_at: new Date().toISOString(),
    });
    res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
}).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
