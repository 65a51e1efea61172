/**
 * Plaintexts of the sealed alias frames (spec §2.4.3): what the CLI seals into `aliasCall` and the
 * plugin host seals into `aliasResult`. Receivers validate after opening: the other end is trusted
 * with the key, not with well-formed data.
 */
import { z } from "zod";
import { ALIAS_NAME_RE } from "./plugin/manifest.js";

/** §7.14: output ≤ 1 MiB per stream. */
export const ALIAS_OUTPUT_MAX = 1024 * 1024;

export const aliasCallPlain = z.object({
  name: z.string().regex(ALIAS_NAME_RE),
  args: z.array(z.string().max(64 * 1024)).max(1024),
  cwd: z.string().max(4096),
});
export type AliasCallPlain = z.infer<typeof aliasCallPlain>;

export const aliasResultPlain = z.object({
  stdout: z.string().max(ALIAS_OUTPUT_MAX),
  stderr: z.string().max(ALIAS_OUTPUT_MAX),
  exitCode: z.number().int().min(0).max(255),
});
export type AliasResultPlain = z.infer<typeof aliasResultPlain>;

/**
 * An alias call nobody answers (§4.8; §14.6 exit status 124, "alias timeout"): what the shim prints and
 * exits with when the CLI's or relay's deadline passes or no client registered the name, and what a
 * plugin host answers at once when the plugin that registered the name has no loaded frame listening
 * for `alias_invoked` (rather than leave the shell waiting out the deadline).
 */
export const ALIAS_NO_RESPONSE = { exitCode: 124, message: "taiku: no plugin client responded" } as const;
