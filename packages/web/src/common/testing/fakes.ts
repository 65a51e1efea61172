/** Test doubles for the injected services: a manual clock and an in-memory WebSocket. */
import { decodeCbor, encodeCbor } from "@taiku/protocol";
import type { Clock, SocketLike } from "../services.js";

export class FakeClock implements Clock {
  private t = 1_000_000;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Advance time, firing due timers in time order (timers they schedule fire too if due). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
  get pending(): number {
    return this.timers.size;
  }
}

/** A WebSocket whose other end is the test. Instances are recorded in `FakeSocket.all`. */
export class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  static reset(): void {
    FakeSocket.all = [];
  }
  static get last(): FakeSocket {
    return FakeSocket.all.at(-1)!;
  }

  binaryType = "blob";
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  readonly sent: Array<Record<string, unknown>> = [];
  closedWith: number | null = null;

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeSocket.all.push(this);
  }

  send(data: Uint8Array): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(decodeCbor(data) as Record<string, unknown>);
  }
  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  // ---- driven by the test (the "server")
  accept(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  deliver(msg: Record<string, unknown>): void {
    const bytes = encodeCbor(msg);
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    this.onmessage?.({ data: ab });
  }
  serverClose(code: number, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  sentOfType(t: string): Array<Record<string, unknown>> {
    return this.sent.filter((m) => m.t === t);
  }
}

/** Let pending promise callbacks (WebCrypto, Argon2) run: poll until `pred` holds. */
export async function until(pred: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 2));
  }
}
