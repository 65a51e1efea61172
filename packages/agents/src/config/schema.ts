/**
 * `[agents]` section of taiku.toml (spec §9.2): takopi's keys nested under `[agents]`, engine
 * tables under `[agents.engines.<id>]`. Validation rules of spec §9.1.
 */
import { z } from "zod";

/** Integer chat id; numeric strings coerced; booleans and floats rejected. */
const chatId = z.union([
  z.number().int(),
  z.string().trim().regex(/^-?\d+$/, "must be an integer").transform((s) => Number(s)),
]);

const nonEmpty = z.string().trim().min(1, "must not be empty");
const table = z.record(z.string(), z.unknown());

export const telegramFilesSchema = z.strictObject({
  enabled: z.boolean().default(false),
  auto_put: z.boolean().default(true),
  auto_put_mode: z.enum(["upload", "prompt"]).default("upload"),
  uploads_dir: z.string().default("incoming").refine((p) => !p.startsWith("/") && !p.startsWith("~"), "must be a relative path"),
  allowed_user_ids: z.array(z.number().int()).default([]),
  deny_globs: z.array(z.string()).default([".git/**", ".env", ".envrc", "*.pem", ".ssh/**"]),
});

export const telegramSchema = z.strictObject({
  bot_token: nonEmpty,
  chat_id: chatId,
  allowed_user_ids: z.array(z.number().int()).default([]),
  message_overflow: z.enum(["trim", "split"]).default("trim"),
  voice_transcription: z.boolean().default(false),
  voice_max_bytes: z.number().int().positive().default(10 * 1024 * 1024),
  voice_transcription_model: z.string().default("gpt-4o-mini-transcribe"),
  voice_transcription_base_url: z.string().optional(),
  voice_transcription_api_key: z.string().optional(),
  session_mode: z.enum(["stateless", "chat"]).default("stateless"),
  show_resume_line: z.boolean().default(true),
  forward_coalesce_s: z.number().min(0).default(1.0),
  media_group_debounce_s: z.number().min(0).default(1.0),
  /** taiku: Bot API root, so tests can point at a local stand-in. */
  api_root: z.string().url().optional(),
  topics: z.strictObject({ enabled: z.boolean().default(false), scope: z.enum(["auto", "main", "projects", "all"]).default("auto") }).default({ enabled: false, scope: "auto" }),
  files: telegramFilesSchema.default(telegramFilesSchema.parse({})),
});

export const sessionTransportSchema = z.strictObject({
  show_resume_line: z.boolean().default(false),
  message_overflow: z.enum(["trim", "split"]).default("split"),
  edit_interval_ms: z.number().int().min(0).default(300),
  forward_coalesce_s: z.number().min(0).default(0),
});

export const projectSchema = z.strictObject({
  path: nonEmpty,
  worktrees_dir: z.string().default(".worktrees"),
  default_engine: z.string().trim().toLowerCase().optional(),
  worktree_base: z.string().optional(),
  chat_id: chatId.optional(),
});

export const agentsSchema = z.strictObject({
  default_engine: z.string().trim().toLowerCase().optional(),
  default_project: z.string().trim().optional(),
  transport: z.string().trim().default("session"),
  watch_config: z.boolean().default(false),
  transports: z
    .object({ telegram: telegramSchema.optional(), session: sessionTransportSchema.default(sessionTransportSchema.parse({})) })
    .catchall(table)
    .default({ session: sessionTransportSchema.parse({}) }),
  projects: z.record(z.string(), projectSchema).default({}),
  plugins: z.object({ enabled: z.array(z.string()).default([]), dir: z.string().optional() }).catchall(z.unknown()).default({ enabled: [] }),
  engines: z.record(z.string(), table).default({}),
});

export type AgentsConfigInput = z.input<typeof agentsSchema>;
export type AgentsConfigRaw = z.output<typeof agentsSchema>;
export type TelegramConfig = z.output<typeof telegramSchema>;
export type SessionTransportConfig = z.output<typeof sessionTransportSchema>;
