/**
 * Agent telemetry for plugins (spec §7.8, §8): the latest `agent_status` per agent (shell + instance),
 * for `getAgents`, forgotten when its shell closes.
 */
import type { PluginAgentStatus } from "@taiku/protocol";

export class AgentTracker {
  private readonly agents = new Map<string, PluginAgentStatus>();

  /** Record an `agent_status` event's data (with its shell id). */
  update(status: PluginAgentStatus): void {
    this.agents.set(`${status.shellId}:${status.instanceId ?? ""}`, status);
  }

  /** Drop agents of shells that no longer exist. */
  retain(shellIds: readonly number[]): void {
    const live = new Set(shellIds);
    for (const [k, a] of this.agents) if (!live.has(a.shellId)) this.agents.delete(k);
  }

  list(): PluginAgentStatus[] {
    return [...this.agents.values()];
  }
}
