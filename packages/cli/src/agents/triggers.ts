/**
 * Which session chat messages address the agents (agents spec §7.9 "mentions" trigger mode, as
 * the session chat is shared by people): plain chat between people never starts a run.
 *
 * A message addresses the agents when, after trimming, it
 * - starts with a known command: a reserved chat command (`/cancel`, `/new`, `/agent …`), an
 *   engine directive (`/codex …`, `/claude …`), a project alias (`/shop …`) or a plugin command;
 * - starts with `@<engine>` or `@<project>` (rewritten to the `/` directive), e.g. `@claude fix it`;
 * - mentions the agents' chat name (`@agent …`, case-insensitive; the mention is removed);
 * - or contains a pasted resume line of a known engine (`codex resume <id>`).
 */
import { RESERVED_CHAT_COMMANDS } from "@taiku/agents";

export interface TriggerContext {
  engineIds: readonly string[];
  projectAliases: readonly string[];
  commandIds: readonly string[];
  /** The agents' chat name (`agent`): `@agent` addresses them. */
  name: string;
  /** Does the text contain a resume line of a known engine? */
  hasResumeLine(text: string): boolean;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The text to hand to the agents, or null when the message is not for them. */
export function addressAgents(text: string, ctx: TriggerContext): string | null {
  const t = text.trim();
  if (!t) return null;
  const lower = (xs: readonly string[]) => xs.map((x) => x.toLowerCase());
  const cmd = /^\/([A-Za-z0-9_-]+)(?:@\S+)?(?=\s|$)/.exec(t);
  if (cmd) {
    const id = cmd[1]!.toLowerCase();
    const known = [...RESERVED_CHAT_COMMANDS, ...lower(ctx.engineIds), ...lower(ctx.projectAliases), ...lower(ctx.commandIds)];
    return known.includes(id) ? t : null;
  }
  const at = /^@([A-Za-z0-9_-]+)[,:]?(?=\s|$)/.exec(t);
  if (at) {
    const id = at[1]!.toLowerCase();
    if (lower(ctx.engineIds).includes(id) || lower(ctx.projectAliases).includes(id)) return `/${id}${t.slice(at[0].length)}`;
  }
  const mention = new RegExp(`(^|\\s)@${escape(ctx.name)}\\b[,:]?`, "i");
  if (mention.test(t)) return t.replace(mention, "$1").replace(/\s{2,}/g, " ").trim() || "continue";
  if (ctx.hasResumeLine(t)) return t;
  return null;
}
