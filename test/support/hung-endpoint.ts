import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';

/**
 * A local TCP server that accepts every connection and never answers: what a hung DynamoDB looks like to
 * the SDK (connected, then silence), as opposed to a down one (connection refused).
 */
export async function startHungEndpoint() {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** How many connections were opened to it (the client did try). */
    connections: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
