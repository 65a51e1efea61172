/**
 * `inbox.*` bridge methods: each is one call to the server's inbox HTTP API (docs/connectors.md) as the
 * signed-in user. The bridge has already checked `inbox.read` / `inbox.write` and the params; here the
 * account is checked before any request leaves the page. Errors are the server's text, except the
 * not-signed-in and connectors-off answers, which read the same everywhere.
 */
import { INBOX_ERRORS, type BridgeMethodParams } from "@taiku/protocol";
import type { MethodTable } from "./methods.js";
import type { HostServices } from "./types.js";

type InboxMethods = Pick<MethodTable, "inbox.list" | "inbox.get" | "inbox.reply" | "inbox.setStatus" | "inbox.setState" | "inbox.react" | "inbox.connections">;

const UNREACHABLE = "Cannot reach the taiku server";
const seg = encodeURIComponent;

export function createInboxMethods(s: HostServices): InboxMethods {
  async function call(method: string, path: string, body?: unknown): Promise<never> {
    if (!s.signedIn()) throw new Error(INBOX_ERRORS.notSignedIn);
    let res: Response;
    try {
      res = await s.fetch(path, {
        method,
        credentials: "same-origin",
        ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
      });
    } catch {
      throw new Error(UNREACHABLE);
    }
    const text = await res.text().catch(() => "");
    if (res.status === 401) throw new Error(INBOX_ERRORS.notSignedIn);
    if (res.status === 503) throw new Error(INBOX_ERRORS.notEnabled);
    if (!res.ok) throw new Error(text.trim() || `HTTP ${res.status}`);
    try {
      return JSON.parse(text) as never;
    } catch {
      throw new Error(`Unexpected answer from the server (HTTP ${res.status})`);
    }
  }

  return {
    "inbox.list": (p: BridgeMethodParams<"inbox.list">) => {
      const q = new URLSearchParams({ limit: String(p.limit) });
      if (p.before) q.set("before", p.before);
      if (p.connection) q.set("connection", p.connection);
      if (p.channel) q.set("channel", p.channel);
      return call("GET", `/api/v1/inbox/threads?${q}`);
    },
    "inbox.get": (p) => call("GET", `/api/v1/inbox/threads/${seg(p.threadId)}`),
    "inbox.reply": (p) => call("POST", `/api/v1/inbox/threads/${seg(p.threadId)}/notes`, { content: p.content, ...(p.reNoteId ? { reNoteId: p.reNoteId } : {}) }),
    "inbox.setStatus": (p) => call("PATCH", `/api/v1/inbox/links/${seg(p.linkId)}`, { status: p.status }),
    "inbox.setState": (p) =>
      call("PUT", `/api/v1/inbox/threads/${seg(p.threadId)}/state`, {
        ...(p.unread !== undefined ? { unread: p.unread } : {}),
        ...(p.todo !== undefined ? { todo: p.todo } : {}),
        ...(p.todoDate !== undefined ? { todoDate: p.todoDate } : {}),
      }),
    "inbox.react": (p) => call("PUT", `/api/v1/inbox/notes/${seg(p.noteId)}/reactions`, { emoji: p.emoji, on: p.on }),
    "inbox.connections": () => call("GET", "/api/v1/connectors/connections"),
  };
}
