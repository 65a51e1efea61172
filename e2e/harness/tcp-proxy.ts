/**
 * A loopback TCP proxy the test controls: it can cut every connection (simulating a network drop),
 * refuse new ones for a while, and record every byte that passes (to search for plaintext).
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  /** Destroy every open connection; with `refuse`, new connections are dropped until `restore()`. */
  cut(options?: { refuse?: boolean }): void;
  restore(): void;
  /** Every byte seen in both directions, concatenated (only when recording). */
  recorded(): Buffer;
  connections(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, options: { record?: boolean } = {}): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const chunks: Buffer[] = [];
  let refusing = false;
  let total = 0;
  const server: Server = createServer((client) => {
    if (refusing) return client.destroy();
    const upstream = connect(targetPort, "127.0.0.1");
    open.add(client);
    open.add(upstream);
    total++;
    const relay = (from: Socket, to: Socket) =>
      from.on("data", (d: Buffer) => {
        if (options.record) chunks.push(Buffer.from(d));
        to.write(d);
      });
    relay(client, upstream);
    relay(upstream, client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut(opts = {}) {
      refusing = !!opts.refuse;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() {
      refusing = false;
    },
    recorded: () => Buffer.concat(chunks),
    connections: () => total,
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
