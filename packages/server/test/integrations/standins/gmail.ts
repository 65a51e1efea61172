/**
 * Gmail API stand-in (gmail.googleapis.com/gmail/v1/users/{userId}/...). Google's error format:
 * `{ error: { code, message, errors: [{ message, domain, reason }], status } }`; an invalid token is
 * HTTP 401 UNAUTHENTICATED; a bad body is 400 INVALID_ARGUMENT.
 */
import { bearer, json, listen, type StandIn } from "./http.js";

export interface GmailStandIn extends StandIn {
  sent: Array<{ id: string; raw: string }>;
}

const googleError = (code: number, status: string, message: string, reason: string) => ({ error: { code, message, errors: [{ message, domain: "global", reason }], status } });

export async function startGmail(opts: { verify: (token: string) => Promise<{ accountId: string } | null> }): Promise<GmailStandIn> {
  const sent: GmailStandIn["sent"] = [];
  const s = await listen(async (req, res, body, url) => {
    const token = bearer(req);
    if (!token || !(await opts.verify(token))) {
      return json(res, 401, googleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.", "authError"), {
        "www-authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"',
      });
    }
    const m = /^\/gmail\/v1\/users\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!m) return json(res, 404, googleError(404, "NOT_FOUND", "Not Found", "notFound"));
    const [, userId, rest] = m;
    if (userId !== "me") return json(res, 403, googleError(403, "PERMISSION_DENIED", "Delegation denied for " + decodeURIComponent(userId!), "forbidden"));
    if (rest === "messages/send" && req.method === "POST") {
      const b = JSON.parse(body || "{}") as { raw?: string };
      if (!b.raw) return json(res, 400, googleError(400, "INVALID_ARGUMENT", "Recipient address required", "invalidArgument"));
      const id = `18c${(sent.length + 1).toString(16).padStart(13, "0")}`;
      sent.push({ id, raw: b.raw });
      return json(res, 200, { id, threadId: id, labelIds: ["SENT"] });
    }
    if (rest === "messages" && req.method === "GET") {
      const max = Number(url.searchParams.get("maxResults") ?? 100);
      return json(res, 200, { messages: sent.slice(0, max).map((x) => ({ id: x.id, threadId: x.id })), resultSizeEstimate: sent.length });
    }
    if (rest === "profile") return json(res, 200, { emailAddress: "alice@example.com", messagesTotal: sent.length, threadsTotal: sent.length, historyId: "1" });
    return json(res, 404, googleError(404, "NOT_FOUND", "Requested entity was not found.", "notFound"));
  });
  return Object.assign(s, { sent });
}
