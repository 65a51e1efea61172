/**
 * Shell aliases (spec §4.8): clients register the alias names of their plugins; the CLI gets the union
 * (`aliases {names}`) and writes one shim per name. A shim's call arrives as `aliasCall`; it goes to
 * the client that owns the calling shell when that client registered the name, else to any client that
 * did, as `aliasInvocation`; only that client's `aliasResult` is relayed back. Arguments, cwd and the
 * output stay sealed end to end (§2.4.4); the relay sees names only. A client whose plugin has no frame
 * listening answers at once (sealed, exit 124); only a silent client leaves the call to `aliasAnswerMs`.
 */
import { ALIAS_NAME_RE, type CliDown, type CliUpMsg, type ServerMessage } from "@taiku/protocol";

export const ALIAS_DEFAULTS = {
  /** How long a client has to answer an invocation (§4.8: 30 s). */
  aliasAnswerMs: 30_000,
  /** Invocations waiting for an answer, per session. */
  aliasMaxPending: 64,
  /** Plugins with registered aliases, per client. */
  aliasPluginsPerPeer: 64,
};
export type AliasLimits = typeof ALIAS_DEFAULTS;

export interface AliasPeer {
  readonly userId: number;
  send(msg: ServerMessage): void;
}

export interface AliasHost {
  sendCli(msg: CliDown): void;
  peer(userId: number): AliasPeer | undefined;
  /** Online owner of a shell, if any. */
  ownerOf(shellId: number): number | null;
  limits(): AliasLimits;
}

interface Pending {
  userId: number;
  timer: NodeJS.Timeout;
}

export class AliasBroker {
  /** userId → pluginId → names. */
  private readonly registered = new Map<number, Map<string, string[]>>();
  private readonly pending = new Map<number, Pending>();
  private sentNames: string | null = null;

  constructor(private readonly host: AliasHost) {}

  /** The union of registered names, sorted. */
  names(): string[] {
    const all = new Set<string>();
    for (const plugins of this.registered.values()) for (const names of plugins.values()) for (const n of names) all.add(n);
    return [...all].sort();
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** `registerAliases`: replaces this client's names for the plugin; an empty list removes them. Returns an error or null. */
  register(userId: number, pluginId: string, aliases: string[]): string | null {
    const bad = aliases.find((a) => !ALIAS_NAME_RE.test(a));
    if (bad !== undefined) return `invalid alias name "${bad.slice(0, 64)}"`;
    const plugins = this.registered.get(userId) ?? new Map<string, string[]>();
    if (aliases.length > 0 && !plugins.has(pluginId) && plugins.size >= this.host.limits().aliasPluginsPerPeer) return "too many plugins with aliases";
    if (aliases.length === 0) plugins.delete(pluginId);
    else plugins.set(pluginId, [...new Set(aliases)]);
    if (plugins.size === 0) this.registered.delete(userId);
    else this.registered.set(userId, plugins);
    this.pushNames();
    return null;
  }

  /** A client left: its names go, and its invocations cannot be answered any more. */
  peerLeft(userId: number): void {
    for (const [id, p] of [...this.pending]) if (p.userId === userId) this.finish(id, null);
    if (this.registered.delete(userId)) this.pushNames();
  }

  /** Tell a (re)attached CLI the current names. */
  cliAttached(): void {
    this.sentNames = null;
    this.pushNames();
  }

  /** The CLI's link dropped: its pending calls are void (it times them out itself). */
  cliDetached(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  onCall(msg: CliUpMsg<"aliasCall">): void {
    const { invocationId } = msg;
    if (this.pending.has(invocationId)) return this.host.sendCli({ t: "error", message: "duplicate alias invocation id" });
    const target = this.pending.size < this.host.limits().aliasMaxPending ? this.target(msg.shellId, msg.name) : undefined;
    if (!target) return this.host.sendCli({ t: "aliasResult", invocationId, frame: null, timeout: true });
    const timer = setTimeout(() => this.finish(invocationId, null), this.host.limits().aliasAnswerMs);
    timer.unref?.();
    this.pending.set(invocationId, { userId: target.userId, timer });
    target.send({ t: "aliasInvocation", invocationId, shellId: msg.shellId, frame: msg.frame });
  }

  /** A client's `aliasResult`: relayed only when that client received the invocation. Returns an error or null. */
  onResult(userId: number, invocationId: number, frame: { n: Uint8Array; c: Uint8Array }): string | null {
    const p = this.pending.get(invocationId);
    if (!p || p.userId !== userId) return "no such alias invocation";
    this.finish(invocationId, frame);
    return null;
  }

  stop(): void {
    this.cliDetached();
    this.registered.clear();
  }

  /** The owner of the shell if it registered the name (any name, when the CLI sent none), else the first client that did. */
  private target(shellId: number, name: string | undefined): AliasPeer | undefined {
    const has = (userId: number) => {
      const plugins = this.registered.get(userId);
      return plugins !== undefined && (name === undefined || [...plugins.values()].some((names) => names.includes(name)));
    };
    const owner = this.host.ownerOf(shellId);
    if (owner !== null && has(owner)) return this.host.peer(owner);
    for (const userId of this.registered.keys()) if (has(userId)) return this.host.peer(userId);
    return undefined;
  }

  private finish(invocationId: number, frame: { n: Uint8Array; c: Uint8Array } | null): void {
    const p = this.pending.get(invocationId);
    if (!p) return;
    this.pending.delete(invocationId);
    clearTimeout(p.timer);
    this.host.sendCli({ t: "aliasResult", invocationId, frame, timeout: frame === null });
  }

  private pushNames(): void {
    const names = this.names();
    const key = names.join(" ");
    if (key === this.sentNames) return;
    this.sentNames = key;
    this.host.sendCli({ t: "aliases", names });
  }
}
