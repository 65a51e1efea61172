/**
 * Services the session client needs from its host. Injected rather than read from globals so the
 * same code runs in a browser page, in Node (benchmarks, e2e viewers) and in unit tests with fakes.
 */

/** The subset of the WebSocket API we use; both the browser's WebSocket and `ws` satisfy it. */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type SocketFactory = new (url: string, protocols?: string | string[]) => SocketLike;

/** WebSocket.OPEN; spelled out because a fake constructor may not carry the static. */
export const SOCKET_OPEN = 1;

/** Timer and time source. Tests pass a fake that advances on demand. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** localStorage-shaped key/value store (ownership tokens, layouts). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** In-memory storage: the default in Node, where there is no localStorage. */
export class MemoryStorage implements KeyValueStorage {
  private readonly map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
  removeItem(key: string): void {
    this.map.delete(key);
  }
}
