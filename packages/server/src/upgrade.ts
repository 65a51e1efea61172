/**
 * WebSocket upgrades: the relay claims /api/cli and /api/s/:id (index.ts puts the device daemon's
 * /api/v1/devices/:id/connect in front of it); anything else is answered 404 and
 * closed, so stray upgrade requests never hang.
 */
import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger, Relay } from "./seams.js";

function reject(socket: Duplex, status: number, text: string): void {
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
  }
  socket.destroy();
}

export function routeUpgrades(server: Pick<Server, "on">, relay: Pick<Relay, "handleUpgrade">, logger: Logger): void {
  server.on("upgrade", (req, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    try {
      if (!relay.handleUpgrade(req, socket, head)) reject(socket, 404, "Not Found");
    } catch (err) {
      logger.error({ err: err instanceof Error ? err.message : String(err), path: req.url?.split("?")[0] }, "upgrade failed");
      reject(socket, 500, "Internal Server Error");
    }
  });
}
