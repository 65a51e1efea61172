/**
 * HTTP API of connectors and the inbox (documented in docs/connectors.md, the contract the Inbox
 * plugin and the Channels UI build on), plus webhook ingress at `/hook/<public_token>` (spec §7.6):
 * the raw body is kept byte for byte for signature checks; async hooks answer `200 {"queued":true}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { InboxEvent, Runtime } from "@taiku/connectors";
import { type AuthConfig, requireCaller } from "../http/auth.js";
import { HttpError, parseBody } from "../http/errors.js";

export interface ConnectorRouteDeps {
  runtime: Runtime | null;
  auth: AuthConfig;
  instanceOptions: Record<string, Record<string, unknown>>;
  /** Scope check before an enable (index.ts consentGate); null without integrations. */
  consent?: ConsentGate | null;
}

export interface ConsentGate {
  /** null when the connection's granted scopes cover the connector; else a new authorization asking for the union. */
  check(userId: string, instance: { id: string; twist_id: string }, channelId: string): Promise<{ redirectUrl: string; missingScopes: string[] } | null>;
}

export const HOOK_BODY_LIMIT = 5 * 1024 * 1024;
export const CONNECTORS_OFF = "Connectors are not enabled on this server";

const connectBody = z.object({ connector: z.string().min(1).max(64) }).strict();
const channelBody = z.object({ enabled: z.boolean() }).strict();
const noteBody = z.object({ content: z.string().min(1).max(65_536), reNoteId: z.string().max(64).nullable().optional() }).strict();
const noteEditBody = z.object({ content: z.string().min(1).max(65_536) }).strict();
const linkBody = z.object({ status: z.string().max(128).nullable().optional(), title: z.string().min(1).max(1024).optional() }).strict();
/** A Unicode emoji (one grapheme, a few code points) or a `provider:workspace/name` custom emoji. */
const reactionBody = z.object({ emoji: z.string().min(1).max(128), on: z.boolean() }).strict();
const stateBody = z.object({ unread: z.boolean().optional(), todo: z.boolean().optional(), todoDate: z.string().max(32).nullable().optional() }).strict();
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Cursor `<updatedAt>_<threadId>` from the previous page's `next`. */
  before: z.string().regex(/^\d+_[0-9a-f-]{36}$/).optional(),
  connection: z.string().max(64).optional(),
  channel: z.string().max(512).optional(),
});

export function registerConnectorRoutes(app: FastifyInstance, d: ConnectorRouteDeps): void {
  const rt = (): Runtime => {
    if (!d.runtime) throw new HttpError(503, CONNECTORS_OFF);
    return d.runtime;
  };
  const caller = async (req: FastifyRequest) => (await requireCaller(d.auth, req)).account;
  const ownInstance = async (userId: string, id: string) => {
    const inst = await rt().storage.instanceGet(id);
    if (!inst || inst.owner_user_id !== userId || inst.status === "deactivated") throw new HttpError(404, "Connection not found");
    return inst;
  };

  // ── webhook ingress ─────────────────────────────────────────
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "string", bodyLimit: HOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));
    scope.all("/hook/:token", async (req, reply) => {
      if (!d.runtime) return reply.code(404).type("text/plain").send("Not found");
      const { token } = req.params as { token: string };
      const query = Object.fromEntries(Object.entries((req.query ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));
      const res = await d.runtime.handleWebhook(token, { method: req.method, headers: req.headers, query, rawBody: typeof req.body === "string" ? req.body : "" });
      reply.code(res.status);
      if (res.contentType) reply.type(res.contentType);
      return reply.send(res.body);
    });
  });

  // ── connectors and connections ──────────────────────────────
  app.get("/api/v1/connectors", async (req) => {
    await caller(req);
    const r = rt();
    const ids = ["github", "linear", ...Object.keys(d.instanceOptions)].filter((v, i, a) => a.indexOf(v) === i);
    return { connectors: ids.flatMap((id) => { try { return [{ id, ...r.metadata(id) }]; } catch { return []; } }), webhooks: r.webhooksReachable() ? "reachable" : "unreachable" };
  });

  app.get("/api/v1/connectors/connections", async (req) => {
    const me = await caller(req);
    const r = rt();
    const out = [];
    for (const inst of await r.storage.instancesOf(me.id)) {
      const channels = await r.storage.channelList(inst.id);
      out.push({
        id: inst.id, connector: inst.twist_id, accountName: inst.account_name, status: inst.status,
        needsReauth: inst.needs_reauth_at !== null, reauthReason: inst.needs_reauth_reason,
        webhooks: r.webhooksReachable() ? "reachable" : "unreachable",
        channels: { total: channels.length, enabled: channels.filter((c) => c.enabled).length, syncing: channels.filter((c) => c.enabled && c.syncing_since !== null).length },
      });
    }
    return { connections: out };
  });

  app.post("/api/v1/connectors/connections", async (req) => {
    const me = await caller(req);
    const body = parseBody(connectBody, req.body);
    const r = rt();
    let meta: Record<string, unknown>;
    try { meta = r.metadata(body.connector); } catch { throw new HttpError(404, `Unknown connector ${body.connector}`); }
    const existing = (await r.storage.instancesOf(me.id)).find((i) => i.twist_id === body.connector);
    if (existing) throw new HttpError(409, `You already have a ${body.connector} connection`);
    const { instance, channels } = await r.connect({ twistId: body.connector, ownerUserId: me.id, options: d.instanceOptions[body.connector] ?? {} }).catch((err: Error) => {
      throw new HttpError(409, `Could not list ${body.connector} channels: ${err.message}. Connect ${String(meta.provider ?? body.connector)} under Integrations first.`);
    });
    return { connection: { id: instance.id, connector: instance.twist_id, accountName: instance.account_name }, channels: channels.map(channelView(0)) };
  });

  app.delete("/api/v1/connectors/connections/:id", async (req, reply) => {
    const me = await caller(req);
    const inst = await ownInstance(me.id, (req.params as { id: string }).id);
    await rt().uninstall(inst.id);
    return reply.code(204).send();
  });

  app.get("/api/v1/connectors/connections/:id/channels", async (req) => {
    const me = await caller(req);
    const inst = await ownInstance(me.id, (req.params as { id: string }).id);
    const r = rt();
    const channels = await r.storage.channelList(inst.id);
    const views = [];
    for (const c of channels) {
      const threads = c.enabled || c.initial_sync_completed_at !== null ? await r.inbox.countThreads({ instanceId: inst.id, channelId: c.channel_id }) : 0;
      views.push(channelView(threads)(c));
    }
    return { connection: { id: inst.id, needsReauth: inst.needs_reauth_at !== null, webhooks: r.webhooksReachable() ? "reachable" : "unreachable" }, channels: views };
  });

  app.post("/api/v1/connectors/connections/:id/channels/refresh", async (req) => {
    const me = await caller(req);
    const inst = await ownInstance(me.id, (req.params as { id: string }).id);
    return { channels: (await rt().refreshChannels(inst.id)).map(channelView(0)) };
  });

  app.put("/api/v1/connectors/connections/:id/channels/:channelId", async (req) => {
    const me = await caller(req);
    const { id, channelId } = req.params as { id: string; channelId: string };
    const inst = await ownInstance(me.id, id);
    const body = parseBody(channelBody, req.body);
    const r = rt();
    const row = await r.storage.channelGet(inst.id, channelId);
    if (!row || row.removed_at !== null) throw new HttpError(404, "Channel not found");
    if (body.enabled && !row.enabled) {
      const consent = await d.consent?.check(me.id, inst, channelId);
      // The connection lacks scopes this connector needs: consent first; the enable proceeds after it.
      if (consent) return { needsConsent: true, redirectUrl: consent.redirectUrl, missingScopes: consent.missingScopes, channel: channelView(0)(row) };
      await r.enableChannel(inst.id, channelId, me.id);
    }
    if (!body.enabled && row.enabled) await r.disableChannel(inst.id, channelId);
    return { channel: channelView(0)((await r.storage.channelGet(inst.id, channelId))!) };
  });

  app.post("/api/v1/connectors/connections/:id/reauthorized", async (req) => {
    const me = await caller(req);
    const inst = await ownInstance(me.id, (req.params as { id: string }).id);
    await rt().reauthorized(inst.id);
    return { ok: true };
  });

  // ── inbox ───────────────────────────────────────────────────
  app.get("/api/v1/inbox/threads", async (req) => {
    const me = await caller(req);
    const q = listQuery.safeParse(req.query);
    if (!q.success) throw new HttpError(400, `Invalid query: ${q.error.issues[0]?.message ?? "bad value"}`);
    const threads = await rt().inbox.listThreads(me.id, {
      limit: q.data.limit,
      ...(q.data.before !== undefined ? { before: { updatedAt: Number(q.data.before.split("_")[0]), id: q.data.before.split("_")[1]! } } : {}),
      ...(q.data.connection ? { instanceId: q.data.connection } : {}), ...(q.data.channel ? { channelId: q.data.channel } : {}),
    });
    const last = threads.at(-1);
    return { threads, next: threads.length === q.data.limit && last ? `${last.updatedAt}_${last.id}` : null };
  });

  const memberThread = async (userId: string, threadId: string) => {
    if (!(await rt().inbox.isMember(userId, threadId))) throw new HttpError(404, "Thread not found");
  };

  app.get("/api/v1/inbox/threads/:id", async (req) => {
    const me = await caller(req);
    const { id } = req.params as { id: string };
    await memberThread(me.id, id);
    const t = (await rt().inbox.getThread(id))!;
    return {
      thread: { id: t.thread.id, title: t.thread.title, archived: t.thread.archived === 1, createdAt: Number(t.thread.created_at), updatedAt: Number(t.thread.updated_at) },
      links: t.links.map((l) => ({ id: l.id, source: l.primary_source, type: l.type, status: l.status, title: l.title, sourceUrl: l.source_url, channelId: l.channel_id, connection: l.instance_id, connector: l.twist_id, meta: l.meta ? JSON.parse(l.meta) : null })),
      // myReactions: the emoji the caller has on each note (what a reaction toggle shows as pressed).
      notes: t.notes.map((n) => ({ ...n, myReactions: Object.keys(n.reactions).filter((e) => n.reactions[e]!.includes(me.id)) })),
    };
  });

  app.post("/api/v1/inbox/threads/:id/notes", async (req) => {
    const me = await caller(req);
    const { id } = req.params as { id: string };
    const body = parseBody(noteBody, req.body);
    await memberThread(me.id, id);
    const r = rt();
    const note = await r.inbox.createUserNote(me.id, id, body.content, body.reNoteId ?? null);
    const writeBack = await r.noteCreated(me.id, note.id);
    return { note: { id: note.id, content: note.content, createdAt: Number(note.created_at) }, writeBack };
  });

  app.patch("/api/v1/inbox/notes/:id", async (req) => {
    const me = await caller(req);
    const body = parseBody(noteEditBody, req.body);
    const r = rt();
    const n = await r.inbox.noteById((req.params as { id: string }).id);
    if (!n || !(await r.inbox.isMember(me.id, n.thread_id))) throw new HttpError(404, "Note not found");
    const updated = await r.inbox.updateUserNote(me.id, n.id, body.content);
    if (!updated) throw new HttpError(403, "Only the author can edit this note");
    return { writeBack: n.content !== body.content ? await r.noteUpdated(me.id, n.id) : false };
  });

  /** Add (`on: true`) or remove a reaction of the caller on a note; a real transition is written back. */
  app.put("/api/v1/inbox/notes/:id/reactions", async (req) => {
    const me = await caller(req);
    const body = parseBody(reactionBody, req.body);
    const r = rt();
    const n = await r.inbox.noteById((req.params as { id: string }).id);
    if (!n || !(await r.inbox.isMember(me.id, n.thread_id))) throw new HttpError(404, "Note not found");
    const changed = await r.inbox.setUserReaction(me.id, n.id, body.emoji, body.on);
    const reactions = (await r.inbox.getThread(n.thread_id))?.notes.find((x) => x.id === n.id)?.reactions ?? {};
    return { reactions, writeBack: changed ? await r.noteReactionChanged(me.id, n.id, body.emoji, body.on) : false };
  });

  app.patch("/api/v1/inbox/links/:id", async (req) => {
    const me = await caller(req);
    const body = parseBody(linkBody, req.body);
    const r = rt();
    const l = await r.inbox.linkById((req.params as { id: string }).id);
    if (!l || !(await r.inbox.isMember(me.id, l.thread_id))) throw new HttpError(404, "Link not found");
    await r.inbox.updateLinkByUser(me.id, l.id, { ...(body.status !== undefined ? { status: body.status } : {}), ...(body.title !== undefined ? { title: body.title } : {}) });
    return { writeBack: await r.linkUpdated(me.id, l.id) };
  });

  app.put("/api/v1/inbox/threads/:id/state", async (req) => {
    const me = await caller(req);
    const { id } = req.params as { id: string };
    const body = parseBody(stateBody, req.body);
    await memberThread(me.id, id);
    const r = rt();
    let writeBack = false;
    if (body.unread !== undefined) {
      await r.inbox.setRead(me.id, id, body.unread);
      writeBack = (await r.threadRead(me.id, id, body.unread)) || writeBack;
    }
    if (body.todo !== undefined) {
      await r.inbox.setTodo(me.id, id, body.todo, body.todoDate ?? null);
      writeBack = (await r.threadToDo(me.id, id, body.todo, body.todoDate ?? null)) || writeBack;
    }
    return { writeBack };
  });

  /** Server-sent events of the caller's inbox changes (`thread` and `note` events). */
  app.get("/api/v1/inbox/events", async (req: FastifyRequest, reply: FastifyReply) => {
    const me = await caller(req);
    const r = rt();
    reply.hijack();
    reply.raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
    reply.raw.write(": ok\n\n");
    const off = r.inbox.onChange((e: InboxEvent) => {
      if (e.userIds.includes(me.id)) reply.raw.write(`event: ${e.kind}\ndata: ${JSON.stringify(e.kind === "note" ? { threadId: e.threadId, noteId: e.noteId } : { threadId: e.threadId, created: e.created })}\n\n`);
    });
    req.raw.on("close", off);
  });
}

function channelView(threads: number) {
  return (c: { channel_id: string; parent_channel_id: string | null; title: string; enabled: number; syncing_since: number | null; initial_sync_completed_at: number | null; last_error: string | null; removed_at: number | null }) => ({
    id: c.channel_id, parentId: c.parent_channel_id, title: c.title, enabled: c.enabled === 1,
    sync: c.enabled !== 1 ? "off" : c.syncing_since !== null ? "syncing" : c.initial_sync_completed_at !== null ? "done" : c.last_error ? "error" : "pending",
    syncingSince: c.syncing_since === null ? null : Number(c.syncing_since), initialSyncCompletedAt: c.initial_sync_completed_at === null ? null : Number(c.initial_sync_completed_at),
    lastError: c.last_error, removed: c.removed_at !== null, threads,
  });
}
