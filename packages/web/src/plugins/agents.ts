/**
 * Agent telemetry for plugins and the agent overlay (spec §3.13, §7.8, §8): the latest `agent_status`
 * per agent (shell + instance), for `getAgents`, and the recent `agent.*` events per shell (turns,
 * tool calls, file changes, token usage), forgotten when the shell closes.
 */
import type { PluginAgentStatus } from "@taiku/protocol";

export interface AgentEventRecord {
  type: string;
  data: Record<string, unknown>;
  timestamp: number;
}

/** Recent events kept per shell: enough for the overlay's timeline, bounded for long agent runs. */
const EVENTS_PER_SHELL = 200;

export class AgentTracker {
  private readonly agents = new Map<string, PluginAgentStatus>();
  private readonly recent = new Map<number, AgentEventRecord[]>();
  private readonly listeners = new Set<() => void>();

  /** Record an `agent_status` event's data (with its shell id). */
  update(status: PluginAgentStatus): void {
    this.agents.set(`${status.shellId}:${status.instanceId ?? ""}`, status);
    this.changed();
  }

  /** Record an `agent.*` event of a shell (`data.shellId` set). */
  record(type: string, data: Record<string, unknown>, timestamp: number): void {
    const shellId = data.shellId;
    if (typeof shellId !== "number") return;
    const list = this.recent.get(shellId) ?? [];
    list.push({ type, data, timestamp });
    if (list.length > EVENTS_PER_SHELL) list.splice(0, list.length - EVENTS_PER_SHELL);
    this.recent.set(shellId, list);
    this.changed();
  }

  /** Drop agents of shells that no longer exist. */
  retain(shellIds: readonly number[]): void {
    const live = new Set(shellIds);
    let dropped = false;
    for (const [k, a] of this.agents) if (!live.has(a.shellId)) dropped = this.agents.delete(k) || dropped;
    for (const id of this.recent.keys()) if (!live.has(id)) dropped = this.recent.delete(id) || dropped;
    if (dropped) this.changed();
  }

  list(): PluginAgentStatus[] {
    return [...this.agents.values()];
  }

  /** The agent of a shell (a given instance, else the most recently updated one). */
  status(shellId: number, instanceId?: string): PluginAgentStatus | undefined {
    const all = this.list().filter((a) => a.shellId === shellId);
    return instanceId !== undefined ? all.find((a) => a.instanceId === instanceId) : all.at(-1);
  }

  /** Recent `agent.*` events of a shell, oldest first (of one instance when the events say which). */
  events(shellId: number, instanceId?: string): AgentEventRecord[] {
    const list = this.recent.get(shellId) ?? [];
    return instanceId === undefined ? [...list] : list.filter((e) => e.data.instanceId === undefined || e.data.instanceId === instanceId);
  }

  /** Called after every change (the overlay re-renders); returns the unsubscribe function. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }
}
