/**
 * The sealed frames that ride beside a shell's output (spec §2.4.3): terminal titles (highest
 * version wins), agent telemetry (seq-ordered per shell, replays skipped) and alias calls (§4.8). Opened with the current
 * output key, or the one before a link rotation, like output.
 */
import { aad, fromUtf8, openFrameWithAny, type AeadKey } from "@taiku/crypto";
import { decodeCbor, type ServerMsg } from "@taiku/protocol";
import { parseAliasInvocation, type AliasInvocation } from "./alias-frames.js";

export interface AgentEvent {
  shellId: number;
  type: string;
  data: Record<string, unknown>;
  timestamp: number;
}

export interface SideFrameSink {
  title(shellId: number, title: string): void;
  agent(event: AgentEvent): void;
  /** An opened alias call (§4.8); calls that fail authentication are dropped with a warning. */
  alias(invocation: AliasInvocation): void;
  /** An agent frame failed authentication. */
  failed(shellId: number, seq: number): void;
  now(): number;
}

export class SideFrames {
  private readonly titleVersions = new Map<number, number>();
  private readonly agentSeqs = new Map<number, number>();
  private agentChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly sessionId: string,
    /** Keys that may have sealed output: the current one first. */
    private readonly keys: () => AeadKey[],
    private readonly sink: SideFrameSink,
  ) {}

  async title(msg: ServerMsg<"title">): Promise<void> {
    if ((this.titleVersions.get(msg.shellId) ?? -1) >= msg.version) return;
    const plain = await this.open(msg.frame, aad.title(this.sessionId, msg.shellId, msg.version));
    if (!plain || (this.titleVersions.get(msg.shellId) ?? -1) >= msg.version) return;
    this.titleVersions.set(msg.shellId, msg.version);
    this.sink.title(msg.shellId, fromUtf8(plain));
  }

  /**
   * One message at a time, in arrival order: the seq check must see the previous message's frames.
   * A message that fails (a throwing sink) rejects its own promise only: the chain goes on.
   */
  agent(msg: ServerMsg<"agent">): Promise<void> {
    const run = this.agentChain.then(() => this.openAgent(msg));
    this.agentChain = run.catch(() => {});
    return run;
  }

  async alias(msg: ServerMsg<"aliasInvocation">): Promise<void> {
    const plain = await this.open(msg.frame, aad.alias(this.sessionId, msg.shellId, msg.invocationId));
    const inv = plain && parseAliasInvocation(msg, plain);
    if (inv) this.sink.alias(inv);
    else console.warn(`taiku: discarded alias invocation ${msg.invocationId}: it failed authentication`);
  }

  private async openAgent(msg: ServerMsg<"agent">): Promise<void> {
    for (const f of msg.frames) {
      if ((this.agentSeqs.get(msg.shellId) ?? -1) >= f.seq) continue;
      const plain = await this.open({ n: f.n, c: f.c }, aad.agent(this.sessionId, msg.shellId, f.seq));
      if (!plain) {
        this.sink.failed(msg.shellId, f.seq);
        continue;
      }
      this.agentSeqs.set(msg.shellId, f.seq);
      let event: { type?: unknown; data?: unknown; timestamp?: unknown };
      try {
        event = decodeCbor(plain) as typeof event;
      } catch {
        continue;
      }
      if (typeof event?.type !== "string" || !event.data || typeof event.data !== "object") continue;
      this.sink.agent({
        shellId: msg.shellId,
        type: event.type,
        data: event.data as Record<string, unknown>,
        timestamp: typeof event.timestamp === "number" ? event.timestamp : this.sink.now(),
      });
    }
  }

  private open(frame: { n: Uint8Array; c: Uint8Array }, ad: Uint8Array): Promise<Uint8Array | null> {
    return openFrameWithAny(this.keys(), frame, ad);
  }
}
