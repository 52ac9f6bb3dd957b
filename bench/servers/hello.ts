import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

/**
 * A hello-world server, alone in its own process (bench/scenarios/framework.ts starts it): `node` for a
 * bare node:http server, `hono` for a Hono app on @hono/node-server. Prints its port once it listens.
 */

const kind = process.argv[2];
const announce = (info: AddressInfo) => console.log(`listening ${info.port}`);

if (kind === 'node') {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' });
    response.end('Hello!');
  });
  server.listen(0, '127.0.0.1', () => announce(server.address() as AddressInfo));
} else if (kind === 'hono') {
  const app = new Hono();
  app.get('/', (c) => c.text('Hello!'));
  serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, announce);
} else {
  console.error('usage: hello.ts node|hono');
  process.exit(2);
}
