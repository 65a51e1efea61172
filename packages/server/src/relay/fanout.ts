/**
 * Output fan-out: CLI frames land in the shell's ring, and every subscribed viewer is pumped from its
 * cursor in one batch per I/O turn (frames that arrived together leave together as one `chunks`).
 * Also drives the CLI `flow` pause/resume decisions (see flow.ts), and stops reading the CLI link while
 * a ring holds more than `readPauseBytes` that counting viewers still need: the output a CLI sends after
 * it was told to pause (its socket buffer, kernel buffers that autotune to tens of MiB) then waits in
 * TCP instead of reaching the ring's hard cap, where it would be a gap for viewers that are reading.
 */
import type { SeqFrame } from "@taiku/protocol";
import { pump, Subscription, viewerState } from "./flow.js";
import type { Peer } from "./peer.js";
import type { Session } from "./session.js";
import type { Shell } from "./shell.js";

export class Fanout {
  private readonly dirty = new Set<Shell>();
  private flushScheduled = false;
  private tick: NodeJS.Timeout | null = null;
  /** True while the CLI link is not being read (see the header comment). */
  private readingPaused = false;

  constructor(private readonly session: Session) {}

  /**
   * Ring bytes at which reading the CLI link stops: the ring cap plus one viewer window (3 MiB by
   * default), at most half-way to the hard cap. Reading resumes under the cap plus half a window.
   */
  private get readPauseBytes(): number {
    const cap = this.session.limits.shellRingBytes;
    return cap + Math.min(this.window, Math.max(0, this.session.ctx.ringHardCapBytes - cap) / 2);
  }

  private get window(): number {
    return this.session.limits.viewerWindowBytes;
  }

  output(shell: Shell, f: SeqFrame): void {
    if (!shell.output.push(f, this.keepFrom(shell), this.session.ctx.ringHardCapBytes)) return; // duplicate after a CLI re-send
    if (!this.readingPaused && shell.output.bytes >= this.readPauseBytes) this.setReading(false);
    this.dirty.add(shell);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.flushScheduled = false;
    const shells = [...this.dirty];
    this.dirty.clear();
    for (const shell of shells) {
      for (const [peer, sub] of shell.viewers) this.pumpOne(shell, peer, sub);
      this.evaluate(shell);
    }
  }

  subscribe(peer: Peer, shell: Shell, fromSeq: number): void {
    const sub = new Subscription(fromSeq, this.session.now());
    peer.subs.set(shell.id, sub);
    shell.viewers.set(peer, sub);
    this.pumpOne(shell, peer, sub);
    this.evaluate(shell);
  }

  unsubscribe(peer: Peer, shellId: number): void {
    peer.subs.delete(shellId);
    const shell = this.session.shells.get(shellId);
    if (!shell) return;
    shell.viewers.delete(peer);
    this.evaluate(shell);
  }

  ack(peer: Peer, shellId: number, seq: number): void {
    peer.acks = true;
    const sub = peer.subs.get(shellId);
    const shell = this.session.shells.get(shellId);
    if (!sub || !shell) return;
    sub.ack(seq, this.session.now());
    this.pumpOne(shell, peer, sub);
    this.evaluate(shell);
  }

  /** The CLI needs to hear every paused shell again after it re-attaches. */
  replayPauses(): void {
    for (const shell of this.session.shells.values()) {
      if (shell.paused) this.session.sendCli({ t: "flow", shellId: shell.id, pause: true });
    }
    if (this.readingPaused) this.session.cli?.setReading?.(false);
  }

  stop(): void {
    if (this.tick) clearInterval(this.tick);
    this.tick = null;
    this.dirty.clear();
    this.readingPaused = false;
  }

  private pumpOne(shell: Shell, peer: Peer, sub: Subscription): void {
    pump({ sub, ring: shell.output, shellId: shell.id, peer, windowBytes: this.window, now: this.session.now() });
    if (sub.behind) this.ensureTick();
  }

  private setReading(on: boolean): void {
    this.readingPaused = !on;
    this.session.cli?.setReading?.(on);
    if (!on) this.ensureTick();
  }

  /** While the link is not read, nothing is pushed: trim here and read again once every ring is well under the mark. */
  private checkReading(): void {
    if (!this.readingPaused) return;
    const resumeBelow = (this.session.limits.shellRingBytes + this.readPauseBytes) / 2;
    for (const shell of this.session.shells.values()) {
      shell.output.trim(this.keepFrom(shell), this.session.ctx.ringHardCapBytes);
      if (shell.output.bytes >= resumeBelow) return;
    }
    this.setReading(true);
  }

  /** Pause the CLI while a counting viewer is over the window; resume once all are under half. */
  private evaluate(shell: Shell): void {
    this.checkReading();
    const now = this.session.now();
    let over = false;
    let clear = true;
    for (const [peer, sub] of shell.viewers) {
      const s = viewerState(sub, peer, this.window, now, this.session.ctx.stallMs);
      if (!s.counts) continue;
      over ||= s.over;
      clear &&= s.clear && !s.over;
    }
    if (!shell.paused && over) {
      shell.paused = true;
      this.session.sendCli({ t: "flow", shellId: shell.id, pause: true });
      this.ensureTick();
    } else if (shell.paused && clear) {
      shell.paused = false;
      this.session.sendCli({ t: "flow", shellId: shell.id, pause: false });
    }
  }

  /** Oldest seq a counting (not stalled) viewer has yet to receive; stalled viewers get a gap instead. */
  private keepFrom(shell: Shell): number {
    let floor = Infinity;
    const now = this.session.now();
    for (const [peer, sub] of shell.viewers) {
      if (viewerState(sub, peer, this.window, now, this.session.ctx.stallMs).counts) floor = Math.min(floor, sub.nextSeq);
    }
    return floor;
  }

  /** Held back by its socket buffer (drains silently); a viewer held back only by acks is woken by its next ack. */
  private needsPolling(peer: Peer, sub: Subscription): boolean {
    return sub.behind && !(peer.acks && sub.inflightBytes >= this.window);
  }

  /** While anything is held back, re-pump (sockets drain without telling us) and re-evaluate stalls. */
  private ensureTick(): void {
    if (this.tick) return;
    this.tick = setInterval(() => {
      this.checkReading(); // also when the shell that held the link back is gone
      let busy = false;
      for (const shell of this.session.shells.values()) {
        for (const [peer, sub] of shell.viewers) if (sub.behind) this.pumpOne(shell, peer, sub);
        this.evaluate(shell);
        busy ||= shell.paused || [...shell.viewers].some(([peer, sub]) => this.needsPolling(peer, sub));
      }
      busy ||= this.readingPaused;
      if (!busy && this.tick) {
        clearInterval(this.tick);
        this.tick = null;
      }
    }, this.session.ctx.flowTickMs);
    this.tick.unref?.();
  }
}
