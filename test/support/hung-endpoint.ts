import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';

/**
 * A local TCP server that accepts every connection and never answers: what a hung DynamoDB looks like to
 * the SDK (connected, then silence), as opposed to a down one (connection refused).
 */
export async function startHungEndpoint() {
  const sockets = new Set<Socket>();
  let opened = 0;
  let onOpen: (() => void) | undefined;
  const server = createServer((socket) => {
    opened++;
    onOpen?.();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** How many connections are open to it now. */
    connections: () => sockets.size,
    /**
     * How many connections were ever opened to it: the SDK opens one per attempt, since it abandons the
     * connection of an attempt that passed its deadline.
     */
    opened: () => opened,
    /** Resolves once `count` connections were opened (the client did try), however slow the machine. */
    untilOpened: (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (opened < count) return;
          onOpen = undefined;
          resolve();
        };
        onOpen = check;
        check();
      }),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
