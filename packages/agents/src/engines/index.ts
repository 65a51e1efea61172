/** Built-in engine backends, registered like plugins under package `@taiku/agents`. */
import type { EngineBackend } from "./backend.js";
import { claudeBackend } from "./claude.js";
import { codexBackend } from "./codex.js";
import { opencodeBackend } from "./opencode.js";
import { piBackend } from "./pi.js";

export const BUILTIN_ENGINES: readonly EngineBackend[] = [claudeBackend, codexBackend, opencodeBackend, piBackend];
