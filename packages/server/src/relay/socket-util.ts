/** Small helpers shared by the two socket handlers. */
import type { IncomingMessage } from "node:http";
import { WebSocket, type RawData } from "ws";

/** Run async handlers strictly in arrival order per socket (auth is async; order matters). */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly onError: (err: unknown) => void) {}

  push(task: () => void | Promise<void>): void {
    this.tail = this.tail.then(task).catch(this.onError);
  }
}

export function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

export function closeSocket(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
}

export function remoteIp(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? "unknown";
}
