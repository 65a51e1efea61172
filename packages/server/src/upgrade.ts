/**
 * WebSocket upgrades: the relay claims /api/cli and /api/s/:id (index.ts puts the device daemon's
 * /api/v1/devices/:id/connect in front of it); anything else is answered 404 and
 * closed, so stray upgrade requests never hang.
 */
import { STATUS_CODES, type Server } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger, Relay } from "./seams.js";

/** Answer an upgrade request with a plain-text HTTP error and close its socket. */
export function rejectUpgrade(socket: Duplex, status: number, text = STATUS_CODES[status] ?? "Error"): void {
  if (socket.writable) {
    const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8`;
    socket.end(`${head}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  }
  socket.destroy();
}

export function routeUpgrades(server: Pick<Server, "on">, relay: Pick<Relay, "handleUpgrade">, logger: Logger): void {
  server.on("upgrade", (req, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    try {
      if (!relay.handleUpgrade(req, socket, head)) rejectUpgrade(socket, 404);
    } catch (err) {
      logger.error({ err: err instanceof Error ? err.message : String(err), path: req.url?.split("?")[0] }, "upgrade failed");
      rejectUpgrade(socket, 500);
    }
  });
}
