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

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** API key from `X-Taiku-Token` or `Authorization: Bearer`. */
export function apiKeyOf(req: IncomingMessage): string | undefined {
  const token = headerValue(req, "x-taiku-token");
  if (token) return token.trim();
  const auth = headerValue(req, "authorization");
  const m = auth ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
  return m?.[1];
}

export function cookieValue(req: IncomingMessage, name: string): string | undefined {
  const header = headerValue(req, "cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}

export function remoteIp(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? "unknown";
}
