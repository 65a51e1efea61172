/**
 * CLI-backed filesystem requests (§2.3 FsRequest/FsResponse, §11.3.5): the relay sends `fsRequest`
 * over the CLI link and matches `fsResponse` by `requestId`. A `read`/`stream` answer may come as
 * several `data` chunks; the one with `end: true` completes it. Pending requests fail when the CLI
 * link drops, when the session ends, or after the answer timeout.
 */
import type { FsCall, FsOutcome } from "../seams.js";
import type { CliUpMsg } from "@taiku/protocol";

const EMPTY = new Uint8Array(0);

interface Pending {
  call: FsCall;
  chunks: Uint8Array[];
  bytes: number;
  timer: NodeJS.Timeout;
  /** Serialises `onData` callbacks so chunks are written in order. */
  chain: Promise<void>;
  resolve(o: FsOutcome): void;
}

export interface FsLink {
  connected(): boolean;
  send(
    msg:
      | { t: "fsRequest"; requestId: number; op: FsCall["op"]; path: string; userId: number; offset: number; length: number; data: Uint8Array }
      | { t: "pluginFile"; requestId: number; pluginId: string; path: string },
  ): void;
}

export class FsBroker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(
    private readonly link: FsLink,
    private readonly answerMs: () => number,
  ) {}

  get inFlight(): number {
    return this.pending.size;
  }

  request(call: FsCall): Promise<FsOutcome> {
    return this.start(call, (requestId) => ({
      t: "fsRequest", requestId, op: call.op, path: call.path, userId: call.userId,
      offset: call.offset ?? 0, length: call.length ?? 0, data: call.data ?? EMPTY,
    }));
  }

  /** A file of a `taiku --plugin ./dir` directory, read by the CLI (`pluginFile`, answered by `fsResponse`). */
  pluginFile(pluginId: string, path: string, maxBytes: number): Promise<FsOutcome> {
    return this.start({ op: "read", path, userId: 0, maxBytes }, (requestId) => ({ t: "pluginFile", requestId, pluginId, path }));
  }

  private start(call: FsCall, message: (requestId: number) => Parameters<FsLink["send"]>[0]): Promise<FsOutcome> {
    if (!this.link.connected()) return Promise.resolve({ ok: false, kind: "notConnected", error: "CLI not connected" });
    const requestId = this.nextId++;
    return new Promise<FsOutcome>((resolve) => {
      const timer = setTimeout(() => this.finish(requestId, { ok: false, kind: "timeout", error: "CLI did not respond" }), this.answerMs());
      timer.unref?.();
      this.pending.set(requestId, { call, chunks: [], bytes: 0, timer, chain: Promise.resolve(), resolve });
      this.link.send(message(requestId));
    });
  }

  /** An `fsResponse` from the CLI. Unknown ids (late answers after a timeout) are ignored. */
  onResponse(msg: CliUpMsg<"fsResponse">): void {
    const p = this.pending.get(msg.requestId);
    if (!p) return;
    if (!msg.ok) return this.finish(msg.requestId, { ok: false, kind: "cli", error: msg.error || "No such file or directory" });
    if (msg.data.byteLength > 0) {
      p.bytes += msg.data.byteLength;
      if (p.call.maxBytes !== undefined && p.bytes > p.call.maxBytes) {
        return this.finish(msg.requestId, { ok: false, kind: "tooLarge", error: "File too large." });
      }
      // Copy: the decoder may hand out views into a larger frame buffer.
      const chunk = Uint8Array.from(msg.data);
      if (p.call.onData) {
        const onData = p.call.onData;
        p.chain = p.chain.then(() => onData(chunk));
      } else {
        p.chunks.push(chunk);
      }
      p.timer.refresh(); // a long stream is fine while chunks keep coming
    }
    if (!msg.end) return;
    let json: unknown = null;
    if (msg.json.byteLength > 0) {
      try {
        json = JSON.parse(Buffer.from(msg.json).toString("utf8"));
      } catch {
        return this.finish(msg.requestId, { ok: false, kind: "cli", error: "malformed CLI answer" });
      }
    }
    const data = p.call.onData ? EMPTY : Buffer.concat(p.chunks);
    const bytes = p.bytes;
    const pending = p;
    this.pending.delete(msg.requestId);
    clearTimeout(p.timer);
    // Resolve after every chunk was handed to onData (and its promise settled).
    pending.chain.then(
      () => pending.resolve({ ok: true, json, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), bytes }),
      (err: unknown) => pending.resolve({ ok: false, kind: "cli", error: String((err as Error)?.message ?? err) }),
    );
  }

  /** The CLI link dropped or the session ended: everything pending fails now. */
  failAll(error: "CLI not connected" | "Session closed"): void {
    for (const id of [...this.pending.keys()]) this.finish(id, { ok: false, kind: "notConnected", error });
  }

  private finish(requestId: number, outcome: FsOutcome): void {
    const p = this.pending.get(requestId);
    if (!p) return;
    this.pending.delete(requestId);
    clearTimeout(p.timer);
    p.chain.then(() => p.resolve(outcome), () => p.resolve(outcome));
  }
}
