/**
 * Integrations shapes shared by the host bridge, the server proxy and the SDK (spec §7.13, §12, §11.3.10).
 * Tokens never appear here: a connection is `{ id, toolkit, status }`, nothing more.
 */
import { z } from "zod";
import { INTEGRATION_ERRORS } from "./errors.js";

/** Toolkit slug after normalisation (§4.2, §12.2). */
export const TOOLKIT_SLUG_RE = /^[a-z0-9_-]+$/;

/** Trim + lowercase, so "GitHub" and "github" are the same toolkit. */
export const normaliseToolkit = (slug: string) => slug.trim().toLowerCase();

/** A `toolkit` param: required, normalised, then checked — each failure with the §12.3 text. */
const toolkitParam = z
  .string({ error: "toolkit is required" })
  .trim()
  .toLowerCase()
  .min(1, "toolkit is required")
  .regex(TOOLKIT_SLUG_RE, "invalid toolkit slug");

export const integrationsListParams = z.object({});
export const integrationsConnectParams = z.object({
  toolkit: toolkitParam,
  callbackUrl: z.string().optional(),
});
export const integrationsToolsParams = z.object({
  toolkit: toolkitParam,
  search: z.string().optional(),
  // Any value is accepted and clamped (§12.6): plugins pass e.g. the value of an <input> field.
  limit: z.unknown().optional().transform((v) => clampToolLimit(v)),
});
export const integrationsExecuteParams = z.object({
  toolkit: toolkitParam,
  action: z.string({ error: "action is required" }).min(1, "action is required"),
  arguments: z
    .record(z.string(), z.unknown(), { error: "arguments must be an object" })
    .optional()
    .transform((v) => v ?? {}),
});

export const DEFAULT_TOOL_LIMIT = 50;
export const MAX_TOOL_LIMIT = 100;

/** §12.6: non-finite or missing → 50; else floor, clamped to 1..100. */
export function clampToolLimit(limit: unknown): number {
  const n = typeof limit === "string" && limit.trim() !== "" ? Number(limit) : limit;
  if (typeof n !== "number" || !Number.isFinite(n)) return DEFAULT_TOOL_LIMIT;
  return Math.min(MAX_TOOL_LIMIT, Math.max(1, Math.floor(n)));
}

/**
 * §12.3 step 3: the host rejects an undeclared toolkit locally, before any network request.
 * `declared` is the manifest's normalised list. Returns the error text, or null when allowed.
 */
export function undeclaredToolkitError(declared: readonly string[] | undefined, toolkit: string): string | null {
  const slug = normaliseToolkit(toolkit);
  return declared?.includes(slug) ? null : INTEGRATION_ERRORS.notDeclared(slug);
}

/** Statuses: `ACTIVE` is documented; plugins test `/active/i`. The others are ours (§12.4). */
export const CONNECTION_STATUSES = ["INITIATED", "ACTIVE", "FAILED", "EXPIRED", "INACTIVE"] as const;
export const isActiveConnection = (status: string | undefined) => /active/i.test(status ?? "") && !/inactive/i.test(status ?? "");

export const integrationConnection = z.object({ id: z.string(), toolkit: z.string(), status: z.string() });
export type IntegrationConnection = z.infer<typeof integrationConnection>;

export const integrationsListResult = z.object({ connections: z.array(integrationConnection) });
export type IntegrationsListResult = z.infer<typeof integrationsListResult>;

/** What the server answers to POST /api/v1/integrations/connections; the host adds `opened`. */
export const integrationsConnectServerResult = z.object({
  connectionId: z.string(),
  redirectUrl: z.string(),
  status: z.string(),
});
export const integrationsConnectResult = integrationsConnectServerResult.extend({ opened: z.boolean() });
export type IntegrationsConnectResult = z.infer<typeof integrationsConnectResult>;

export const integrationTool = z.object({
  slug: z.string(),
  name: z.string(),
  description: z.string(),
  inputParameters: z.record(z.string(), z.unknown()),
});
export type IntegrationTool = z.infer<typeof integrationTool>;
export const integrationsToolsResult = z.object({ tools: z.array(integrationTool) });
export type IntegrationsToolsResult = z.infer<typeof integrationsToolsResult>;

/** `integrations.execute` resolves with the provider's raw result, verbatim (§12.7). */
export type IntegrationsExecuteResult = unknown;
