/** Plugin id rules (spec §8.2) [compat]. */
import { RESERVED_CHAT_COMMANDS, RESERVED_CLI_COMMANDS } from "../runtime/agent-chat.js";

export const PLUGIN_ID_RE = /^[a-z0-9_]{1,32}$/;

/** taiku keeps takopi's reserved names and adds its own product commands. */
export const RESERVED_COMMAND_IDS: readonly string[] = [...RESERVED_CLI_COMMANDS, ...RESERVED_CHAT_COMMANDS, "agents", "share", "serve", "login", "func"];

export function isValidPluginId(id: string): boolean {
  return PLUGIN_ID_RE.test(id);
}

export function isReservedId(id: string): boolean {
  return RESERVED_COMMAND_IDS.includes(id);
}

/** npm package names compared case-insensitively with runs of `-`, `_`, `.` folded to `-`. */
export function canonicalPackageName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}
