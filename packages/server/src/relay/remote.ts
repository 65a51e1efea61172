/**
 * Remote commands (§13.2): the server sends `remoteCommand {requestId, method, params, sourceShellId}`
 * to one browser and waits for its `remoteResult {requestId, result | error}`. Only the targeted
 * client's answer counts; a client that leaves fails its pending commands at once.
 */
import type { RemoteOutcome } from "../seams.js";
import type { Peer } from "./peer.js";

interface Pending {
  userId: number;
  timer: NodeJS.Timeout;
  resolve(o: RemoteOutcome): void;
}

export class RemoteBroker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly timeoutMs: () => number) {}

  send(peer: Peer, method: string, params: unknown, sourceShellId: number | null): Promise<RemoteOutcome> {
    const requestId = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.finish(requestId, { ok: false, kind: "timeout", error: "No active browser clients responded" }), this.timeoutMs());
      timer.unref?.();
      this.pending.set(requestId, { userId: peer.userId, timer, resolve });
      peer.send({ t: "remoteCommand", requestId, method, params: (params ?? {}) as never, sourceShellId });
    });
  }

  /** A `remoteResult` from a browser; answers from any other client than the target are ignored. */
  onResult(peer: Peer, msg: { requestId: number; result?: unknown; error?: string }): void {
    const p = this.pending.get(msg.requestId);
    if (!p || p.userId !== peer.userId) return;
    if (typeof msg.error === "string") this.finish(msg.requestId, { ok: false, kind: "handler", error: msg.error });
    else this.finish(msg.requestId, { ok: true, result: msg.result ?? null });
  }

  /** The client left: its commands cannot be answered any more. */
  clientLeft(userId: number): void {
    for (const [id, p] of [...this.pending]) {
      if (p.userId === userId) this.finish(id, { ok: false, kind: "gone", error: "No active browser clients responded" });
    }
  }

  stop(): void {
    for (const id of [...this.pending.keys()]) this.finish(id, { ok: false, kind: "gone", error: "Session closed" });
  }

  private finish(requestId: number, outcome: RemoteOutcome): void {
    const p = this.pending.get(requestId);
    if (!p) return;
    this.pending.delete(requestId);
    clearTimeout(p.timer);
    p.resolve(outcome);
  }
}
