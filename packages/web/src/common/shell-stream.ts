/**
 * The output side of one shell: decrypt `chunks` frames (AES-GCM, AAD bound to session, shell and
 * seq), drop replays (seq ≤ last applied), hand plaintext to the terminal in order, and acknowledge
 * once the terminal reports it written. Frames are opened concurrently (WebCrypto is async) but
 * applied strictly in arrival order through a promise chain. A seq jump (frames the relay no longer
 * had, §2.4.3 allows it) is accepted but reported through `onGap`, between the output before and after it.
 */
import { aad, joinBytes, openFrameWithAny, type AeadKey } from "@taiku/crypto";
import type { SeqFrame } from "@taiku/protocol";
import { AckCoalescer, type AckOptions } from "./ack.js";
import type { Clock } from "./services.js";

/** Where plaintext output goes: an xterm.js terminal in the page, a collector in Node. */
export interface OutputSink {
  /** Write bytes; call `done` once they are processed (xterm's write callback). */
  write(data: Uint8Array, done: () => void): void;
}

export interface ShellStreamContext {
  sessionId: string;
  clock: Clock;
  /** Keys to try, current first (after a link rotation the previous key still opens older frames). */
  keys(): AeadKey[];
  sendAck(shellId: number, seq: number): void;
  /** A frame failed authentication; it is discarded, never rendered. */
  onDecryptFailure(shellId: number, seq: number): void;
  /** Output was skipped: `next` follows `after` (both seqs). Called after the output up to `after` went to the sink. */
  onGap?(shellId: number, after: number, next: number): void;
  ack?: AckOptions;
}

export class ShellStream {
  /** Highest seq handed to the sink (or skipped as undecryptable): resume point after reconnect. */
  lastApplied = -1;
  private sink: OutputSink | null = null;
  private chain: Promise<void> = Promise.resolve();
  readonly ack: AckCoalescer;

  constructor(
    readonly shellId: number,
    private readonly ctx: ShellStreamContext,
  ) {
    this.ack = new AckCoalescer(ctx.clock, (seq) => ctx.sendAck(shellId, seq), ctx.ack);
  }

  get attached(): boolean {
    return this.sink !== null;
  }

  /** A new sink starts from the beginning of the server's buffer (a fresh terminal needs the replay). */
  attach(sink: OutputSink): void {
    this.sink = sink;
    this.lastApplied = -1;
  }

  detach(): void {
    this.sink = null;
    this.ack.flush();
  }

  /** `fromSeq` for `subscribe`. */
  get resumeSeq(): number {
    return this.lastApplied + 1;
  }

  push(frames: readonly SeqFrame[]): Promise<void> {
    const floor = this.lastApplied;
    const opened = frames.map((f) => (f.seq > floor ? this.open(f) : Promise.resolve(null)));
    this.chain = this.chain.then(() => this.apply(frames, opened));
    return this.chain;
  }

  /** Resolves when everything pushed so far has been handed to the sink. */
  idle(): Promise<void> {
    return this.chain;
  }

  private open(f: SeqFrame): Promise<Uint8Array | null> {
    return openFrameWithAny(this.ctx.keys(), f, aad.output(this.ctx.sessionId, this.shellId, f.seq));
  }

  private async apply(frames: readonly SeqFrame[], opened: Promise<Uint8Array | null>[]): Promise<void> {
    const results = await Promise.all(opened);
    let parts: Uint8Array[] = [];
    let total = 0;
    let highest = -1;
    const deliver = () => {
      if (highest >= 0) this.deliver(parts, total, highest);
      parts = [];
      total = 0;
      highest = -1;
    };
    for (let i = 0; i < frames.length; i++) {
      const seq = frames[i]!.seq;
      if (seq <= this.lastApplied) continue; // replay after resubscribe, or a lying relay
      if (this.lastApplied >= 0 && seq > this.lastApplied + 1) {
        deliver(); // what came before the gap first, then the notice
        this.ctx.onGap?.(this.shellId, this.lastApplied, seq);
      }
      this.lastApplied = seq;
      highest = seq;
      const plain = results[i];
      if (!plain) {
        this.ctx.onDecryptFailure(this.shellId, seq);
        continue;
      }
      parts.push(plain);
      total += plain.length;
    }
    deliver();
  }

  private deliver(parts: Uint8Array[], total: number, highest: number): void {
    const sink = this.sink;
    if (!sink || total === 0) {
      // Nothing to render, but the relay must still see progress or its window stalls.
      this.ack.written(highest, total);
      return;
    }
    // One write per message: xterm parses a large buffer much faster than many small ones.
    const data = parts.length === 1 ? parts[0]! : joinBytes(parts);
    sink.write(data, () => this.ack.written(highest, total));
  }
}
