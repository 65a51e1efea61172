/**
 * Shell aliases in the plugin host (spec §4.8, §7.14): registers the `aliases` of enabled plugins that
 * hold `shell.alias` while this client owns a shell (or is an admin, for session-managed plugins), again
 * with an empty list when a plugin stops qualifying, and all over again on every new connection (the
 * relay forgets a client's names when it leaves). An opened `aliasInvocation` becomes `alias_invoked`
 * for the plugin that registered the name; that plugin alone may answer it, once, with `respondAlias`.
 *
 * Answered at once instead of leaving the shell waiting out the relay's 30 s: a name no plugin here
 * registered (127, like a shell's "command not found"), and a registered name whose plugin has no loaded
 * frame subscribed to `alias_invoked` (not loaded yet, or unloaded), that is disabled while the call
 * waits, or whose last subscribed frame goes away (closed, reloaded: `frameGone`) or stops listening
 * (`unsubscribeEvents`, or `subscribeEvents` without `alias_invoked`: `unsubscribed`) while the call waits
 * — `ALIAS_NO_RESPONSE`, the exit code (124) and message of an unanswered call, plus the reason.
 */
import { ALIAS_NO_RESPONSE, BRIDGE_ACK, BRIDGE_ERRORS, type BridgeMethodParams, type ClientMessage } from "@taiku/protocol";
import type { AliasAnswer, AliasInvocation } from "../common/alias-frames.js";
import type { Emitter } from "../common/emitter.js";
import type { SessionEvents } from "../common/session-client.js";
import { ownerOf, type SessionState } from "../common/session-state.js";
import type { RegisteredPlugin } from "./types.js";

export interface AliasSession {
  readonly state: SessionState;
  readonly events: Emitter<SessionEvents>;
  send(message: ClientMessage): void;
  answerAlias(a: AliasAnswer): Promise<void>;
}

/** What `respondAlias` and the event subscription methods need (HostServices.aliases). */
export interface AliasResponder {
  respond(pluginId: string, p: BridgeMethodParams<"respondAlias">): Promise<typeof BRIDGE_ACK>;
  /** A loaded frame of `pluginId` changed or dropped its event subscription. */
  unsubscribed(pluginId: string): void;
}

/** Delivers an event to one plugin's subscribed frames; returns how many got it (BridgeHost.emit). */
export type AliasEmit = (type: string, data: unknown, pluginId: string) => number;

/** How many of one plugin's frames are subscribed to an event type, posting nothing (BridgeHost.subscribers). */
export type AliasListeners = (type: string, pluginId: string) => number;

/** A little longer than the relay's 30 s: after that nobody waits for the answer. */
const ANSWER_MS = 35_000;
const MAX_PENDING = 256;

const disabled = (name: string) => `the plugin for "${name}" was disabled`;

interface Pending {
  pluginId: string;
  name: string;
  shellId: number;
  timer: ReturnType<typeof setTimeout>;
}

export class AliasHost implements AliasResponder {
  /** pluginId → names registered on the current connection. */
  private readonly sent = new Map<string, string>();
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly session: AliasSession,
    private readonly plugins: () => ReadonlyMap<string, RegisteredPlugin>,
    private readonly emit: AliasEmit,
    private readonly listeners: AliasListeners,
  ) {}

  /** Follow the session; returns a function that stops. */
  start(): () => void {
    let prev = this.session.state;
    const offs = [
      this.session.events.on("state", (next) => {
        const reconnected = prev.status !== "online" && next.status === "online";
        const changed = prev.owners !== next.owners || prev.role !== next.role || prev.userId !== next.userId;
        prev = next;
        if (reconnected) this.sent.clear();
        if (reconnected || changed) this.sync();
      }),
      this.session.events.on("aliasInvocation", (inv) => this.onInvocation(inv)),
    ];
    this.sync();
    return () => {
      offs.forEach((off) => off());
      for (const p of this.pending.values()) clearTimeout(p.timer);
      this.pending.clear();
    };
  }

  /** Names each plugin should have registered now. */
  private wanted(): Map<string, string[]> {
    const st = this.session.state;
    const out = new Map<string, string[]>();
    if (st.status !== "online" || st.userId === null) return out;
    const ownsShell = st.owners.some((o) => o.userId === st.userId);
    for (const [id, p] of this.plugins()) {
      if (!p.enabled || !p.grantedPermissions.includes("shell.alias") || p.manifest.aliases.length === 0) continue;
      if (ownsShell || (p.serverManaged && st.role === "admin")) out.set(id, p.manifest.aliases.map((a) => a.name));
    }
    return out;
  }

  /** Send `registerAliases` for what changed (the plugin set, ownership, role, a new connection). */
  sync(): void {
    // A disabled (or removed) plugin cannot answer any more: its frames are gone and the bridge drops its requests.
    const plugins = this.plugins();
    for (const [invocationId, p] of [...this.pending]) {
      if (!plugins.get(p.pluginId)?.enabled) this.refuse({ invocationId, shellId: p.shellId }, disabled(p.name));
    }
    const want = this.wanted();
    for (const [pluginId, names] of want) {
      const key = names.join(" ");
      if (this.sent.get(pluginId) === key) continue;
      this.sent.set(pluginId, key);
      this.session.send({ t: "registerAliases", pluginId, aliases: names });
    }
    for (const pluginId of [...this.sent.keys()]) {
      if (want.has(pluginId)) continue;
      this.sent.delete(pluginId);
      this.session.send({ t: "registerAliases", pluginId, aliases: [] });
    }
  }

  /**
   * A frame of `pluginId` went away (BridgeHost `onMountGone`). Any of the plugin's frames may answer, so
   * its waiting calls are refused only once none of them is subscribed to `alias_invoked` any more.
   */
  frameGone(pluginId: string, how = "was closed"): void {
    const waiting = [...this.pending].filter(([, p]) => p.pluginId === pluginId);
    if (waiting.length === 0) return;
    // Disabled (or removed): its frames are unloaded before `sync()` runs; give that reason already.
    const enabled = this.plugins().get(pluginId)?.enabled === true;
    if (enabled && this.listeners("alias_invoked", pluginId) > 0) return;
    for (const [invocationId, p] of waiting) {
      this.refuse({ invocationId, shellId: p.shellId }, enabled ? `the plugin frame for "${p.name}" ${how} before it answered` : disabled(p.name));
    }
  }

  /** Like `frameGone`, for a frame that stays loaded but no longer listens for `alias_invoked`. */
  unsubscribed(pluginId: string): void {
    this.frameGone(pluginId, "stopped listening");
  }

  async respond(pluginId: string, p: BridgeMethodParams<"respondAlias">): Promise<typeof BRIDGE_ACK> {
    const inv = this.pending.get(p.invocationId);
    if (!inv || inv.pluginId !== pluginId) throw new Error(BRIDGE_ERRORS.invalidParams(`unknown or answered invocation ${p.invocationId}`));
    this.finish(p.invocationId);
    await this.session.answerAlias({ invocationId: p.invocationId, shellId: inv.shellId, stdout: p.stdout ?? "", stderr: p.stderr ?? "", exitCode: p.exitCode });
    return BRIDGE_ACK;
  }

  private onInvocation(inv: AliasInvocation): void {
    // The same call again (a relay resend): the first is still waiting for its plugin; answering this
    // one would answer that one too (one invocation id, one result).
    if (this.pending.has(inv.invocationId)) return;
    const pluginId = [...this.sent].find(([, names]) => names.split(" ").includes(inv.name))?.[0];
    if (pluginId === undefined || this.pending.size >= MAX_PENDING) {
      // Answer at once rather than leave the shell waiting 30 s.
      this.answer({ ...inv, stdout: "", stderr: `taiku: no plugin in this browser answers "${inv.name}"\n`, exitCode: 127 });
      return;
    }
    const timer = setTimeout(() => this.finish(inv.invocationId), ANSWER_MS);
    this.pending.set(inv.invocationId, { pluginId, name: inv.name, shellId: inv.shellId, timer });
    const st = this.session.state;
    const userName = ownerOf(st, inv.shellId)?.name ?? st.name ?? "";
    const data = { invocationId: inv.invocationId, name: inv.name, args: inv.args, shellId: inv.shellId, cwd: inv.cwd, userName };
    if (this.emit("alias_invoked", data, pluginId) === 0) this.refuse(inv, `no plugin frame is listening for "${inv.name}" in this browser`);
  }

  /** Answer a waiting call now as unanswered (`ALIAS_NO_RESPONSE`), with the reason. */
  private refuse(inv: { invocationId: number; shellId: number }, reason: string): void {
    this.finish(inv.invocationId);
    const stderr = `${ALIAS_NO_RESPONSE.message}: ${reason}\n`;
    this.answer({ invocationId: inv.invocationId, shellId: inv.shellId, stdout: "", stderr, exitCode: ALIAS_NO_RESPONSE.exitCode });
  }

  /** An answer nobody awaits: a failure (no session keys yet, sealing failed) is logged, not left unhandled. */
  private answer(a: AliasAnswer): void {
    this.session.answerAlias(a).catch((err: unknown) => console.warn(`taiku: could not answer alias invocation ${a.invocationId}`, err));
  }

  private finish(invocationId: number): void {
    const p = this.pending.get(invocationId);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(invocationId);
  }
}
