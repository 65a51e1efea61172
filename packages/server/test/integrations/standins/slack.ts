/**
 * Slack Web API stand-in. Documented quirks: every answer is HTTP 200 JSON with `ok`; failures are
 * `{ ok: false, error: "<code>" }` (invalid_auth, channel_not_found, not_authed, invalid_code…),
 * including the OAuth token endpoint oauth.v2.access; tokens are `xoxb-`/`xoxp-`, token_type "bot".
 * Arguments arrive form-encoded (or JSON).
 */
import { randomBytes } from "node:crypto";
import { bearer, json, listen, type StandIn } from "./http.js";

export interface SlackStandIn extends StandIn {
  channels: Map<string, Array<{ ts: string; text: string; user: string }>>;
  tokens: Set<string>;
}

export async function startSlack(opts: { verify?: (token: string) => Promise<{ accountId: string } | null>; clientId?: string; clientSecret?: string } = {}): Promise<SlackStandIn> {
  const channels = new Map<string, Array<{ ts: string; text: string; user: string }>>([["C0GENERAL", []]]);
  const tokens = new Set<string>();
  const codes = new Set<string>();
  let clock = 1_700_000_000;
  const s = await listen(async (req, res, body, url) => {
    const path = url.pathname;
    if (path === "/oauth/v2/authorize") {
      const code = randomBytes(8).toString("hex");
      codes.add(code);
      const to = new URL(url.searchParams.get("redirect_uri")!);
      to.searchParams.set("code", code);
      to.searchParams.set("state", url.searchParams.get("state") ?? "");
      res.writeHead(302, { location: to.href });
      return res.end();
    }
    const args: Record<string, string> = (req.headers["content-type"] ?? "").includes("json")
      ? (JSON.parse(body || "{}") as Record<string, string>)
      : Object.fromEntries(new URLSearchParams(body));
    if (path === "/api/oauth.v2.access") {
      if (args.client_id !== opts.clientId || args.client_secret !== opts.clientSecret) return json(res, 200, { ok: false, error: "invalid_client_id" });
      if (!codes.delete(args.code ?? "")) return json(res, 200, { ok: false, error: "invalid_code" });
      const token = "xoxb-" + randomBytes(12).toString("hex");
      tokens.add(token);
      return json(res, 200, { ok: true, access_token: token, token_type: "bot", scope: "chat:write", bot_user_id: "U0BOT", app_id: "A0APP", team: { id: "T0", name: "Team" } });
    }
    const token = bearer(req);
    const known = token && (tokens.has(token) || (opts.verify && (await opts.verify(token))));
    if (!token) return json(res, 200, { ok: false, error: "not_authed" });
    if (!known) return json(res, 200, { ok: false, error: "invalid_auth" });
    if (path === "/api/auth.revoke") {
      tokens.delete(token);
      return json(res, 200, { ok: true, revoked: true });
    }
    if (path === "/api/chat.postMessage") {
      const ch = channels.get(args.channel ?? "");
      if (!ch) return json(res, 200, { ok: false, error: "channel_not_found" });
      if (!args.text && !args.blocks) return json(res, 200, { ok: false, error: "no_text" });
      const ts = `${clock++}.000100`;
      ch.push({ ts, text: args.text ?? "", user: "U0BOT" });
      return json(res, 200, { ok: true, channel: args.channel, ts, message: { type: "message", text: args.text, user: "U0BOT", ts } });
    }
    if (path === "/api/conversations.list") {
      return json(res, 200, { ok: true, channels: [...channels.keys()].map((id) => ({ id, name: id.toLowerCase() })), response_metadata: { next_cursor: "" } });
    }
    return json(res, 200, { ok: false, error: "unknown_method" });
  });
  return Object.assign(s, { channels, tokens });
}
