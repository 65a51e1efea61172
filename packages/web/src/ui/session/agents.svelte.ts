/**
 * Which shells run an AI agent (spec §3.13), from the decrypted `agent_status` events, for the peek
 * list and tile tabs (§3.8 "shows which terminals run agents"). Reactive; a stopped agent is dropped.
 */
import type { SessionClient } from "../../common/index.js";

export interface AgentBadge {
  agentType: string;
  status: string;
}

export function trackAgents(client: SessionClient): { readonly byShell: Record<number, AgentBadge>; stop(): void } {
  const state = $state<{ byShell: Record<number, AgentBadge> }>({ byShell: {} });
  const offAgent = client.events.on("agentEvent", (e) => {
    if (e.type !== "agent_status") return;
    const shellId = typeof e.data.shellId === "number" ? e.data.shellId : e.shellId;
    const { agentType, status } = e.data;
    if (typeof agentType !== "string" || typeof status !== "string") return;
    const { [shellId]: _gone, ...rest } = state.byShell;
    state.byShell = status === "stopped" ? rest : { ...rest, [shellId]: { agentType, status } };
  });
  // Closed shells take their agents with them.
  const offState = client.events.on("state", (s) => {
    const live = new Set(s.shells.map((x) => x.id));
    if (Object.keys(state.byShell).some((id) => !live.has(Number(id)))) {
      state.byShell = Object.fromEntries(Object.entries(state.byShell).filter(([id]) => live.has(Number(id))));
    }
  });
  return {
    get byShell() {
      return state.byShell;
    },
    stop() {
      offAgent();
      offState();
    },
  };
}

/** Short label for a badge: "claude · waiting". */
export const agentLabel = (a: AgentBadge): string => `${a.agentType} · ${a.status}`;
