/**
 * GitHub connector (spec §5.2, simplified to one channel per repository): issues and pull requests
 * per repository, HMAC-verified webhooks, a polling fallback when webhooks cannot reach this server,
 * write-back of comments (onNoteCreated/onNoteUpdated), close/reopen/title (onLinkUpdated) and
 * reactions (onNoteReactionChanged), and a recurring poll of comment reactions (GitHub has no reaction
 * webhooks) that replaces each note's reaction state (setNoteReactions).
 * Written only against the SDK: it reaches api.github.com through global fetch, which the runtime
 * routes through the allowlist and the configurable host map.
 */
import { Connector } from "../sdk/connector.js";
import type { ToolBuilder } from "../sdk/tool-shed.js";
import {
  ActionType, AuthProvider, type Actor, type Authorization, type AuthToken, type Channel, type Link, type NewLinkWithNotes, type Note,
  type NoteWriteBackResult, type SyncContext, type Thread, type WebhookRequest,
} from "../sdk/types.js";
import { Integrations } from "../tools/integrations.js";
import { Network } from "../tools/network.js";
import { Options } from "../tools/options.js";
import { isLocalHookUrl, newSecret, rateLimitReset, verifyHmac } from "./util.js";

const API = "https://api.github.com";
const PER_PAGE = 100;

interface GhUser { login: string; id?: number }
export interface GhIssue {
  id: number; number: number; title: string; body: string | null; state: string; user: GhUser | null;
  created_at?: string; updated_at?: string; html_url?: string; comments?: number;
  pull_request?: { url: string; merged_at?: string | null };
}
interface GhComment { id: number; body: string; user: GhUser | null; created_at: string; issue_url?: string; reactions?: { total_count?: number } }
interface GhReaction { id: number; content: string; user: GhUser | null }

/** GitHub's eight reactions (REST "Reactions" `content`) by the Unicode emoji taiku uses. */
export const GITHUB_REACTIONS: Readonly<Record<string, string>> = {
  "👍": "+1", "👎": "-1", "😄": "laugh", "😕": "confused", "❤️": "heart", "🎉": "hooray", "🚀": "rocket", "👀": "eyes",
};
const EMOJI_OF = Object.fromEntries(Object.entries(GITHUB_REACTIONS).map(([e, c]) => [c, e]));
interface SyncState { page: number; initialSync: boolean }

const actor = (u: GhUser | null) => (u ? { name: u.login, source: { accountId: String(u.id ?? u.login), descriptor: `@${u.login}` } } : null);

/** Pure transform: one issue or pull request → link with its description note. */
export function buildGithubLink(repo: string, item: GhIssue, initialSync: boolean, comments: GhComment[] = []): NewLinkWithNotes {
  const isPr = item.pull_request !== undefined;
  const created = item.created_at ? new Date(item.created_at) : undefined;
  const status = isPr && item.pull_request?.merged_at ? "merged" : item.state === "closed" ? "closed" : "open";
  const author = actor(item.user);
  return {
    source: `github:${isPr ? "pr" : "issue"}:${repo}/${item.number}`,
    channelId: repo,
    type: isPr ? "pull_request" : "issue",
    status,
    title: item.title,
    ...(created ? { created } : {}),
    author,
    sourceUrl: item.html_url ?? `https://github.com/${repo}/${isPr ? "pull" : "issues"}/${item.number}`,
    meta: { syncProvider: "github", repo, number: item.number, githubId: item.id, kind: isPr ? "pull_request" : "issue" },
    actions: [{ type: ActionType.external, title: "Open in GitHub", url: item.html_url ?? `https://github.com/${repo}/issues/${item.number}` }],
    signals: { taxonomy: [`github:repo:${repo}`] },
    notes: [
      { key: "description", content: item.body ?? "", author, ...(created ? { created } : {}) },
      ...comments.map((c) => ({ key: `comment-${c.id}`, content: c.body, author: actor(c.user), created: new Date(c.created_at) })),
    ],
    ...(initialSync ? { unread: false, archived: false } : {}),
  };
}

export class GitHub extends Connector<GitHub> {
  static override readonly handleReplies = true;
  override readonly provider = AuthProvider.GitHub;
  override readonly scopes = ["repo"];
  override readonly channelNoun = { singular: "repository", plural: "repositories" };
  override readonly autoEnableNewChannelsByDefault = false;
  override readonly reactionCapabilities = { mode: "fixed" as const, allowed: Object.keys(GITHUB_REACTIONS) };
  override readonly linkTypes = [
    { type: "issue", label: "Issue", noteLabel: "Comment", sharingModel: "channel" as const, supportsAssignee: true, statuses: [
      { status: "open", label: "Open", icon: "todo" as const, todo: true },
      { status: "closed", label: "Closed", icon: "done" as const, done: true },
    ] },
    { type: "pull_request", label: "Pull request", noteLabel: "Comment", sharingModel: "channel" as const, supportsAssignee: true, statuses: [
      { status: "open", label: "Open", icon: "inProgress" as const, todo: true },
      { status: "closed", label: "Closed", icon: "cancelled" as const, done: true },
      { status: "merged", label: "Merged", icon: "done" as const, done: true },
    ] },
  ];

  build(build: ToolBuilder) {
    return {
      integrations: build(Integrations),
      network: build(Network, { urls: [`${API}/*`] }),
      options: build(Options, {
        pollIntervalMs: { type: "number" as const, label: "Polling interval (ms) when webhooks cannot reach this server", default: 5 * 60_000, min: 1 },
        reactionPollMs: { type: "number" as const, label: "Reaction polling interval (ms); GitHub has no reaction webhooks", default: 15 * 60_000, min: 1 },
      }),
    };
  }

  private async api(channelId: string, path: string, init: RequestInit = {}): Promise<Response | null> {
    const token = await this.tools.integrations.get(channelId);
    if (!token) return null;
    return fetch(`${API}${path}`, {
      ...init,
      headers: { accept: "application/vnd.github+json", authorization: `Bearer ${token.token}`, "x-github-api-version": "2022-11-28", ...(init.body ? { "content-type": "application/json" } : {}), ...init.headers },
    });
  }

  override async getAccountName(_auth: Authorization | null, token: AuthToken | null): Promise<string | null> {
    if (!token) return null;
    const res = await fetch(`${API}/user`, { headers: { authorization: `Bearer ${token.token}` } }).catch(() => null);
    if (!res?.ok) return null;
    return ((await res.json()) as { login?: string }).login ?? null;
  }

  async getChannels(_auth: Authorization | null, token: AuthToken | null): Promise<Channel[]> {
    if (!token) return [];
    const repos: Array<{ full_name: string }> = [];
    // GitHub pages lists (at most 100 per page); the Link header names the next page.
    for (let next: string | undefined = `${API}/user/repos?per_page=100&sort=full_name`; next; ) {
      const res: Response = await fetch(next, { headers: { authorization: `Bearer ${token.token}`, accept: "application/vnd.github+json" } });
      if (!res.ok) throw new Error(`GitHub /user/repos answered ${res.status}`);
      repos.push(...((await res.json()) as Array<{ full_name: string }>));
      next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get("link") ?? "")?.[1];
    }
    return repos.map((r) => ({ id: r.full_name, title: r.full_name }));
  }

  async onChannelEnabled(channel: Channel, context?: SyncContext): Promise<void> {
    const repo = channel.id;
    await this.set(`sync_enabled_${repo}`, true);
    await this.clear(`poll_since_${repo}`);
    const setup = await this.callback(this.setupWebhook, repo);
    await this.runTask(setup);
    const reactionPoll = Number((this.tools.options as { reactionPollMs?: number }).reactionPollMs ?? 15 * 60_000);
    await this.scheduleRecurring(`reaction-poll-${repo}`, await this.callback(this.pollReactions, repo), { intervalMs: reactionPoll });
    if (context?.observeOnly) return;
    await this.set<SyncState>(`sync_state_${repo}`, { page: 1, initialSync: true });
    await this.scheduleTask(`sync-${repo}`, await this.callback(this.syncBatch, repo, 1, true), { runAt: new Date() });
  }

  async onChannelDisabled(channel: Channel): Promise<void> {
    const repo = channel.id;
    const hookId = await this.get<number>(`webhook_id_${repo}`);
    if (hookId) await this.api(repo, `/repos/${repo}/hooks/${hookId}`, { method: "DELETE" }).catch(() => null);
    const url = await this.get<string>(`webhook_url_${repo}`);
    if (url) await this.tools.network.deleteWebhook(url);
    await this.cancelScheduledTask(`poll-${repo}`);
    await this.cancelScheduledTask(`sync-${repo}`);
    await this.cancelScheduledTask(`reaction-poll-${repo}`);
    await this.clearMany([`sync_enabled_${repo}`, `sync_state_${repo}`, `webhook_id_${repo}`, `webhook_secret_${repo}`, `webhook_url_${repo}`, `poll_since_${repo}`]);
  }

  /** One page of the backfill; chains itself until the last page, then reports completion. */
  async syncBatch(repo: string, page: number, initialSync: boolean): Promise<void> {
    const state = await this.get<SyncState>(`sync_state_${repo}`);
    if (state && state.page === page + 1) {
      // A retry after a crash between "cursor advanced" and "next page queued": queue it (keyed, so once).
      await this.scheduleTask(`sync-${repo}`, await this.callback(this.syncBatch, repo, page + 1, initialSync), { runAt: new Date() });
      return;
    }
    if (!state || state.page !== page) return; // disabled, or a stale duplicate of a finished page
    const res = await this.api(repo, `/repos/${repo}/issues?state=all&sort=created&direction=asc&per_page=${PER_PAGE}&page=${page}`);
    if (!res) return; // no token: the runtime flagged re-auth
    const reset = rateLimitReset(res, Date.now());
    if (reset) {
      await this.runTask(await this.callback(this.syncBatch, repo, page, initialSync), { runAt: reset });
      return;
    }
    if (res.status === 401) {
      await this.tools.integrations.markNeedsReauth(repo);
      return;
    }
    if (!res.ok) throw new Error(`GitHub issues page ${page} of ${repo} answered ${res.status}`);
    const items = (await res.json()) as GhIssue[];
    await this.tools.integrations.saveLinks(items.map((i) => buildGithubLink(repo, i, initialSync)));
    const more = /rel="next"/.test(res.headers.get("link") ?? "") || items.length === PER_PAGE;
    if (more && items.length > 0) {
      // Cursor first, then the keyed continuation: every crash point is recovered by the task retry.
      await this.set<SyncState>(`sync_state_${repo}`, { page: page + 1, initialSync });
      await this.scheduleTask(`sync-${repo}`, await this.callback(this.syncBatch, repo, page + 1, initialSync), { runAt: new Date() });
      return;
    }
    if (initialSync) await this.tools.integrations.channelSyncCompleted(repo);
    await this.set(`poll_since_${repo}`, new Date().toISOString());
    await this.clear(`sync_state_${repo}`);
  }

  /** Idempotent: keeps a live registration, replaces a missing one, prunes stale taiku hooks. */
  async setupWebhook(repo: string): Promise<void> {
    const url = await this.tools.network.createWebhook({}, this.onWebhook, repo);
    const previousUrl = await this.get<string>(`webhook_url_${repo}`);
    if (previousUrl && previousUrl !== url) await this.tools.network.deleteWebhook(previousUrl);
    await this.set(`webhook_url_${repo}`, url);
    if (isLocalHookUrl(url)) {
      // Not reachable from GitHub: poll instead (the connection shows "webhooks unreachable").
      const interval = Number((this.tools.options as { pollIntervalMs?: number }).pollIntervalMs ?? 300_000);
      await this.scheduleRecurring(`poll-${repo}`, await this.callback(this.pollRepo, repo), { intervalMs: interval });
      return;
    }
    await this.cancelScheduledTask(`poll-${repo}`);
    const secret = newSecret();
    const origin = new URL(url).origin;
    const list = await this.api(repo, `/repos/${repo}/hooks`);
    if (list?.ok) {
      for (const h of (await list.json()) as Array<{ id: number; config: { url?: string } }>) {
        const u = h.config.url ?? "";
        if (u.startsWith(origin) && new URL(u).pathname.startsWith("/hook")) await this.api(repo, `/repos/${repo}/hooks/${h.id}`, { method: "DELETE" });
      }
    }
    const res = await this.api(repo, `/repos/${repo}/hooks`, {
      method: "POST",
      body: JSON.stringify({ name: "web", active: true, events: ["issues", "issue_comment", "pull_request"], config: { url, content_type: "json", secret, insecure_ssl: "0" } }),
    });
    if (!res) return;
    if (!res.ok) throw new Error(`GitHub hook registration for ${repo} answered ${res.status}`);
    const hook = (await res.json()) as { id: number };
    await this.setMany<unknown>([[`webhook_id_${repo}`, hook.id], [`webhook_secret_${repo}`, secret]]);
  }

  /** Polling fallback: everything updated since the last pass. */
  async pollRepo(repo: string): Promise<void> {
    if (!(await this.get<boolean>(`sync_enabled_${repo}`))) return;
    if (await this.get<SyncState>(`sync_state_${repo}`)) return; // the backfill is still running
    const since = await this.get<string>(`poll_since_${repo}`);
    const started = new Date().toISOString();
    for (let page = 1; page <= 10; page++) {
      const res = await this.api(repo, `/repos/${repo}/issues?state=all&sort=updated&direction=asc&per_page=${PER_PAGE}&page=${page}${since ? `&since=${encodeURIComponent(since)}` : ""}`);
      if (!res?.ok) return;
      const items = (await res.json()) as GhIssue[];
      await this.tools.integrations.saveLinks(items.map((i) => buildGithubLink(repo, i, false)));
      if (items.length < PER_PAGE) break;
    }
    await this.set(`poll_since_${repo}`, started);
  }

  /**
   * Reaction poll (spec §5.2): the repository's recently updated comments; each that has reactions, or
   * had some at the last pass, gets its full snapshot written with setNoteReactions (clear and replace,
   * stamped with this instance, so nothing is dispatched back).
   */
  async pollReactions(repo: string): Promise<void> {
    if (!(await this.get<boolean>(`sync_enabled_${repo}`))) return;
    const since = new Date(Date.now() - 7 * 86_400_000).toISOString();
    const res = await this.api(repo, `/repos/${repo}/issues/comments?sort=updated&direction=desc&per_page=${PER_PAGE}&since=${encodeURIComponent(since)}`);
    if (!res?.ok) return;
    for (const c of (await res.json()) as GhComment[]) {
      const number = /\/issues\/(\d+)$/.exec(c.issue_url ?? "")?.[1];
      const seenKey = `reactions_seen_${repo}_${c.id}`;
      const had = await this.get<boolean>(seenKey);
      if (!number || (!c.reactions?.total_count && !had)) continue;
      const list = await this.api(repo, `/repos/${repo}/issues/comments/${c.id}/reactions?per_page=${PER_PAGE}`);
      if (!list?.ok) continue;
      const snapshot: Record<string, NonNullable<ReturnType<typeof actor>>[]> = {};
      for (const r of (await list.json()) as GhReaction[]) {
        const emoji = EMOJI_OF[r.content];
        const who = actor(r.user);
        if (emoji && who) (snapshot[emoji] ??= []).push(who);
      }
      for (const kind of ["issue", "pr"]) {
        try {
          await this.tools.integrations.setNoteReactions({ source: `github:${kind}:${repo}/${number}` }, `comment-${c.id}`, snapshot);
          break;
        } catch {
          // not that kind, or the comment is not synced yet: the next pass retries
        }
      }
      if (Object.keys(snapshot).length) await this.set(seenKey, true);
      else await this.clear(seenKey);
    }
  }

  /** A person reacted in taiku: add or remove the reaction upstream under the reactor's own token. */
  override async onNoteReactionChanged(note: Note, thread: Thread, _actor: Actor, emoji: string, added: boolean): Promise<void> {
    const content = GITHUB_REACTIONS[emoji];
    const meta = thread.meta ?? {};
    const repo = String(meta.repo ?? meta.channelId);
    const channel = String(meta.channelId ?? repo);
    const comment = /^comment-(\d+)$/.exec(note.key ?? "")?.[1];
    if (!content || (!comment && note.key !== "description")) return; // not a note GitHub knows
    const base = comment ? `/repos/${repo}/issues/comments/${comment}/reactions` : `/repos/${repo}/issues/${meta.number}/reactions`;
    if (added) {
      const res = await this.api(channel, base, { method: "POST", body: JSON.stringify({ content }) });
      if (res && !res.ok) throw new Error(`GitHub reaction on ${base} answered ${res.status}`);
      return;
    }
    const me = await this.api(channel, "/user");
    if (!me?.ok) return; // no token for the reactor: nothing to do
    const login = ((await me.json()) as GhUser).login;
    const list = await this.api(channel, `${base}?content=${encodeURIComponent(content)}&per_page=${PER_PAGE}`);
    if (!list?.ok) throw new Error(`GitHub reactions of ${base} answered ${list?.status}`);
    const mine = ((await list.json()) as GhReaction[]).find((r) => r.content === content && r.user?.login === login);
    if (!mine) return;
    const res = await this.api(channel, `${base}/${mine.id}`, { method: "DELETE" });
    if (res && !res.ok && res.status !== 404) throw new Error(`GitHub reaction removal on ${base} answered ${res.status}`);
  }

  async onWebhook(request: WebhookRequest, repo: string): Promise<void> {
    const secret = await this.get<string>(`webhook_secret_${repo}`);
    if (!secret || !verifyHmac(secret, request.rawBody ?? "", request.headers["x-hub-signature-256"], "sha256=")) {
      console.warn(`github webhook for ${repo}: bad or missing signature, ignored`);
      return;
    }
    const event = request.headers["x-github-event"];
    const body = request.body as { issue?: GhIssue; pull_request?: GhIssue & { merged_at?: string | null }; comment?: GhComment };
    if (event === "issues" && body.issue) {
      await this.tools.integrations.saveLink(buildGithubLink(repo, body.issue, false));
    } else if (event === "pull_request" && body.pull_request) {
      const pr = body.pull_request;
      await this.tools.integrations.saveLink(buildGithubLink(repo, { ...pr, pull_request: { url: pr.html_url ?? "", merged_at: pr.merged_at ?? null } }, false));
    } else if (event === "issue_comment" && body.issue && body.comment) {
      const link = buildGithubLink(repo, body.issue, false, [body.comment]);
      link.notes = link.notes!.filter((n) => n.key !== "description");
      await this.tools.integrations.saveLink(link);
    }
  }

  override async onNoteCreated(note: Note, thread?: Thread): Promise<string | NoteWriteBackResult | void> {
    const meta = thread?.meta ?? {};
    const repo = String(meta.repo ?? meta.channelId);
    const res = await this.api(String(meta.channelId ?? repo), `/repos/${repo}/issues/${meta.number}/comments`, { method: "POST", body: JSON.stringify({ body: note.content ?? "" }) });
    if (!res) return { deliveryError: { code: "rejected", message: "GitHub is not connected" } };
    if (!res.ok) return { deliveryError: { code: res.status === 422 ? "rejected" : "send_failed", message: `GitHub answered ${res.status}` } };
    const c = (await res.json()) as GhComment;
    return { key: `comment-${c.id}`, externalContent: c.body };
  }

  override async onNoteUpdated(note: Note, thread: Thread): Promise<NoteWriteBackResult | void> {
    const m = /^comment-(\d+)$/.exec(note.key ?? "");
    if (!m) return;
    const repo = String(thread.meta?.repo);
    const res = await this.api(String(thread.meta?.channelId ?? repo), `/repos/${repo}/issues/comments/${m[1]}`, { method: "PATCH", body: JSON.stringify({ body: note.content ?? "" }) });
    if (!res?.ok) return { deliveryError: { code: "send_failed", message: `GitHub answered ${res?.status ?? "nothing"}` } };
    return { externalContent: ((await res.json()) as GhComment).body };
  }

  override async onLinkUpdated(link: Link): Promise<void> {
    const repo = String(link.meta?.repo);
    const patch: Record<string, string> = { title: link.title };
    if (link.status === "open" || link.status === "closed") patch.state = link.status;
    const res = await this.api(link.channelId ?? repo, `/repos/${repo}/issues/${link.meta?.number}`, { method: "PATCH", body: JSON.stringify(patch) });
    if (res && !res.ok) console.warn(`github write-back of ${link.source} answered ${res.status}`);
  }
}

export default GitHub;
