/**
 * Which shells run an AI agent (spec §3.13), for the peek list and tile tabs (§3.8 "shows which
 * terminals run agents"): a reactive view of the plugin host's AgentTracker (which already follows
 * `agent_status` and drops the agents of closed shells); a stopped agent shows no badge.
 */
import type { AgentTracker } from "../../plugins/agents.js";

export interface AgentBadge {
  agentType: string;
  status: string;
}

export function trackAgents(agents: AgentTracker): { readonly byShell: Record<number, AgentBadge>; stop(): void } {
  const badges = () => {
    const out: Record<number, AgentBadge> = {};
    for (const a of agents.list()) if (a.status !== "stopped") out[a.shellId] = { agentType: a.agentType, status: a.status };
    return out;
  };
  const state = $state<{ byShell: Record<number, AgentBadge> }>({ byShell: badges() });
  const stop = agents.subscribe(() => (state.byShell = badges()));
  return {
    get byShell() {
      return state.byShell;
    },
    stop,
  };
}

/** Short label for a badge: "claude · waiting". */
export const agentLabel = (a: AgentBadge): string => `${a.agentType} · ${a.status}`;
