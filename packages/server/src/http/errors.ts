/**
 * Error replies. The spec (§11.1) makes every error body `text/plain` with a short message; route
 * code throws HttpError and the app's error handler turns it (and Fastify's own 4xx errors) into text.
 */
import type { FastifyError, FastifyReply } from "fastify";
import type { z } from "zod";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Texts this implementation adds (the documented ones live in @taiku/protocol ERRORS). */
export const TEXT = {
  notFound: "Not found",
  badOrigin: "cross-origin request rejected: Origin must be the app origin",
  badCredentials: "invalid email or password",
  emailTaken: "email already registered",
  signupDisabled: "sign-up is disabled on this server",
  apiKeyNotFound: "API key not found.",
  invalidCode: "invalid or expired code",
  loginPending: "authorization pending",
  loginExpired: "expired",
  apiKeyRequired: "this route needs an API key (X-Taiku-Token or Authorization: Bearer)",
  internal: "Internal server error",
} as const;

export function sendText(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).type("text/plain; charset=utf-8").send(text);
}

/** Validates a request body; the 400 names each bad field without echoing the submitted values. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const res = schema.safeParse(body);
  if (res.success) return res.data;
  const issues = res.error.issues.slice(0, 5).map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message));
  throw new HttpError(400, `invalid request body: ${issues.join("; ")}`);
}

/** Fixed texts for Fastify's body-parsing errors: their messages can quote the (secret) body. */
const FASTIFY_CLIENT_ERRORS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "request body too large",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported content type: send application/json",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "request body size does not match Content-Length",
  FST_ERR_CTP_EMPTY_JSON_BODY: "empty JSON body",
  FST_ERR_CTP_INVALID_JSON_BODY: "invalid JSON body",
};

export function clientErrorText(err: FastifyError): string {
  const known = err.code ? FASTIFY_CLIENT_ERRORS[err.code] : undefined;
  if (known) return known;
  if (err instanceof SyntaxError || err.code?.startsWith("FST_ERR_CTP")) return "invalid request body";
  if (err.code === "FST_ERR_BAD_URL") return "malformed URL";
  return "bad request";
}
