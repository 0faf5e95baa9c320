import net from 'node:net';

/** A TCP relay to a server that a test can cut, as a network fault or a dead database would. */
export interface TcpProxy {
  readonly port: number;
  /**
   * Drops every open connection and refuses new ones (nothing listens on the port) until
   * `restore`, as a server that went down would.
   */
  cut(): void;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let cut = false;
  const server = net.createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the proxy has no port');
  const { port } = address;
  return {
    port,
    cut() {
      if (cut) return;
      cut = true;
      // Refused from now on, not accepted and dropped: that is another fault (a full server), and
      // mongodb 7.9's monitor can hang on it for good (test/faults/databaseDown.test.ts).
      server.close();
      for (const socket of sockets) socket.destroy();
    },
    async restore() {
      if (!cut) return;
      cut = false;
      await listen(port);
    },
    close() {
      cut = true;
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => {
        if (!server.listening) resolve();
        else server.close(() => resolve());
      });
    },
  };
}
