/**
 * End-to-end flow control for terminal output (taiku addition, README "Flow control").
 *
 * Every viewer subscription has a cursor (`nextSeq`) into the shell's ring. Live output and catch-up
 * are the same operation: `pump` sends ring frames from the cursor while the viewer has window left.
 * A viewer that has sent at least one `ack` is limited by its unacknowledged bytes; every viewer is
 * also limited by its socket's `bufferedAmount`. Frames trimmed from the ring while a viewer was behind
 * are a gap (allowed by §2.4.3). The CLI is paused while a counting viewer is over the window and
 * resumed once all are under half of it; a viewer without progress for `stallMs` stops counting.
 */
import type { SeqFrame } from "@taiku/protocol";
import type { FrameRing } from "./ring.js";

/** Largest `chunks` message the relay builds (ciphertext bytes), so one catch-up never hogs the socket. */
const BATCH_BYTES = 256 * 1024;

export interface FlowPeer {
  /** One `chunks` message of these frames, in order. */
  sendChunks(shellId: number, frames: readonly SeqFrame[]): void;
  bufferedAmount(): number;
  /** True once the viewer has sent an `ack`: only then is the ack window enforced. */
  acks: boolean;
}

export class Subscription {
  nextSeq: number;
  inflightBytes = 0;
  /** Last time the viewer made progress (ack, drained socket) or fell behind. */
  lastProgressAt: number;
  behind = false;
  private inflight: Array<[seq: number, bytes: number]> = [];
  private head = 0;

  constructor(fromSeq: number, now: number) {
    this.nextSeq = fromSeq;
    this.lastProgressAt = now;
  }

  sent(seq: number, bytes: number, track: boolean): void {
    this.nextSeq = seq + 1;
    if (!track) return;
    this.inflight.push([seq, bytes]);
    this.inflightBytes += bytes;
  }

  ack(seq: number, now: number): void {
    while (this.head < this.inflight.length && this.inflight[this.head]![0] <= seq) {
      this.inflightBytes -= this.inflight[this.head]![1];
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.inflight.length) {
      this.inflight = this.inflight.slice(this.head);
      this.head = 0;
    }
    this.lastProgressAt = now;
  }
}

export interface PumpArgs {
  sub: Subscription;
  ring: FrameRing;
  shellId: number;
  peer: FlowPeer;
  windowBytes: number;
  now: number;
}

/** Send what the viewer may receive now; returns true when it is held back (over its window). */
export function pump({ sub, ring, shellId, peer, windowBytes, now }: PumpArgs): boolean {
  let sentAny = false;
  for (;;) {
    const budget = peer.acks ? windowBytes - sub.inflightBytes : windowBytes;
    if (budget <= 0 || peer.bufferedAmount() >= windowBytes) break;
    const frames = ring.from(sub.nextSeq, Math.min(budget, BATCH_BYTES));
    if (frames.length === 0) {
      sub.behind = false;
      return false;
    }
    peer.sendChunks(shellId, frames);
    for (const f of frames) sub.sent(f.seq, f.c.byteLength, peer.acks);
    sentAny = true;
  }
  // Held back with frames pending: a socket that drained counts as progress.
  if (!sub.behind || sentAny) sub.lastProgressAt = now;
  sub.behind = ring.nextSeq > sub.nextSeq;
  return sub.behind;
}

/** Whether a viewer currently holds the CLI back, and whether it is clear enough to release it. */
export function viewerState(sub: Subscription, peer: FlowPeer, windowBytes: number, now: number, stallMs: number) {
  const used = Math.max(peer.acks ? sub.inflightBytes : 0, peer.bufferedAmount());
  const stalled = now - sub.lastProgressAt > stallMs;
  return {
    counts: !stalled,
    over: sub.behind || used > windowBytes,
    clear: used < windowBytes / 2,
  };
}
