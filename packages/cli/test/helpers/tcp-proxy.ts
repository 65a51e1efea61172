/** A TCP proxy the test controls: cut every connection, or stop reading from clients (backpressure). */
import { createServer, connect, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface TcpProxy {
  url: string;
  connections: number;
  /** Destroy every live connection (both sides), as a network failure would. */
  cutAll(): void;
  /** Stop (true) or resume (false) reading from the clients, so their send buffers fill up. */
  holdClients(hold: boolean): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let hold = false;
  let connections = 0;
  const server = createServer((client) => {
    connections++;
    const upstream = connect(targetPort, "127.0.0.1");
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    if (hold) client.pause();
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections;
    },
    cutAll() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    holdClients(h) {
      hold = h;
      for (const [client] of pairs) {
        if (h) {
          client.unpipe();
          client.pause();
        } else {
          client.pipe(pairsUpstream(client));
          client.resume();
        }
      }
    },
    close: () =>
      new Promise<void>((r) => {
        for (const [a, b] of pairs) {
          a.destroy();
          b.destroy();
        }
        server.close(() => r());
      }),
  };
  function pairsUpstream(client: Socket): Socket {
    for (const [a, b] of pairs) if (a === client) return b;
    throw new Error("no upstream");
  }
}
