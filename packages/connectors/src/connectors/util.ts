/** Helpers shared by the first-party connectors (pure; no runtime access). */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Constant-time check of `<prefix><hex HMAC-SHA256(secret, rawBody)>`. */
export function verifyHmac(secret: string, rawBody: string, signature: string | undefined, prefix = ""): boolean {
  if (!signature || !secret) return false;
  const expected = Buffer.from(prefix + createHmac("sha256", secret).update(rawBody, "utf8").digest("hex"));
  const got = Buffer.from(signature);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

export const newSecret = (): string => randomBytes(20).toString("hex");

/** Webhook URLs on loopback are not reachable from the provider: skip registration, poll instead. */
export const isLocalHookUrl = (url: string): boolean => url.includes("localhost") || url.includes("127.0.0.1") || url.includes("[::1]");

/**
 * Retry-After / x-ratelimit-reset → when to re-queue the same page. GitHub sends x-ratelimit-* on every
 * answer, so a 403 is a rate limit only with Retry-After or x-ratelimit-remaining: 0 (otherwise it is an
 * access error such as "Resource not accessible by integration").
 */
export function rateLimitReset(res: Response, now: number): Date | null {
  if (res.status !== 403 && res.status !== 429) return null;
  const after = res.headers.get("retry-after");
  if (after && /^\d+$/.test(after)) return new Date(now + Number(after) * 1000);
  if (res.status === 403 && res.headers.get("x-ratelimit-remaining") !== "0") return null;
  const reset = res.headers.get("x-ratelimit-reset");
  if (reset && /^\d+$/.test(reset)) return new Date(Number(reset) * 1000);
  if (res.status === 429 || res.headers.get("x-ratelimit-remaining") === "0") return new Date(now + 60_000);
  return null;
}
