/**
 * Linear connector (spec §5.1): issues per team with one nested GraphQL query per batch, webhooks
 * verified with `linear-signature` (HMAC-SHA256 of the raw body), a polling fallback when webhooks
 * cannot reach this server, and write-back of comments and workflow state.
 */
import { Connector } from "../sdk/connector.js";
import type { ToolBuilder } from "../sdk/tool-shed.js";
import {
  ActionType, AuthProvider, type Authorization, type AuthToken, type Channel, type Link, type LinkTypeConfig, type NewLinkWithNotes,
  type Note, type NoteWriteBackResult, type StatusIcon, type SyncContext, type Thread, type WebhookRequest,
} from "../sdk/types.js";
import { Integrations } from "../tools/integrations.js";
import { Network } from "../tools/network.js";
import { Options } from "../tools/options.js";
import { isLocalHookUrl, newSecret, verifyHmac } from "./util.js";

const GRAPHQL = "https://api.linear.app/graphql";
const PAGE = 50;

interface LinUser { id: string; name?: string | null; email?: string | null }
export interface LinIssue {
  id: string; identifier: string; title: string; description?: string | null; url?: string; createdAt?: string; updatedAt?: string;
  state?: { id: string; name?: string; type?: string } | null; creator?: LinUser | null; assignee?: LinUser | null;
  comments?: { nodes: Array<{ id: string; body: string; createdAt: string; user?: LinUser | null }> };
  team?: { id: string } | null; teamId?: string;
}
interface SyncState { after: string | null; batch: number; initialSync: boolean }

const ICONS: Record<string, StatusIcon> = { backlog: "backlog", unstarted: "todo", started: "inProgress", completed: "done", canceled: "cancelled", cancelled: "cancelled", triage: "backlog" };
const contact = (u: LinUser | null | undefined) => (u ? { ...(u.email ? { email: u.email } : {}), ...(u.name ? { name: u.name } : {}), source: { accountId: u.id } } : null);

const ISSUE_FIELDS = `id identifier title description url createdAt updatedAt state { id name type } team { id }
  creator { id name email } assignee { id name email } comments(first: 50) { nodes { id body createdAt user { id name email } } }`;

/** Pure transform: a Linear issue → link with description and comment notes. */
export function buildLinearLink(teamId: string, issue: LinIssue, initialSync: boolean): NewLinkWithNotes {
  const created = issue.createdAt ? new Date(issue.createdAt) : undefined;
  return {
    source: `linear:issue:${issue.id}`,
    channelId: teamId,
    type: "issue",
    status: issue.state?.id ?? null,
    title: issue.title,
    ...(created ? { created } : {}),
    author: contact(issue.creator),
    assignee: contact(issue.assignee),
    sourceUrl: issue.url ?? null,
    meta: { syncProvider: "linear", linearId: issue.id, identifier: issue.identifier, teamId },
    actions: issue.url ? [{ type: ActionType.external, title: "Open in Linear", url: issue.url }] : null,
    notes: [
      { key: "description", content: issue.description ?? "", author: contact(issue.creator), ...(created ? { created } : {}) },
      ...(issue.comments?.nodes ?? []).map((c) => ({ key: `comment-${c.id}`, content: c.body, author: contact(c.user), created: new Date(c.createdAt) })),
    ],
    ...(initialSync ? { unread: false, archived: false } : {}),
  };
}

export class Linear extends Connector<Linear> {
  static override readonly handleReplies = true;
  override readonly provider = AuthProvider.Linear;
  override readonly scopes = ["read", "write", "admin"]; // admin: webhooks (spec §5.1)
  override readonly channelNoun = { singular: "team", plural: "teams" };
  override readonly autoEnableNewChannelsByDefault = true;
  override readonly linkTypes: LinkTypeConfig[] = [{
    type: "issue", label: "Issue", noteLabel: "Comment", sharingModel: "channel", supportsAssignee: true,
    statuses: [
      { status: "backlog", label: "Backlog", icon: "backlog" }, { status: "unstarted", label: "Todo", icon: "todo", todo: true },
      { status: "started", label: "In Progress", icon: "inProgress", active: true }, { status: "completed", label: "Done", icon: "done", done: true },
      { status: "canceled", label: "Canceled", icon: "cancelled", done: true },
    ],
  }];

  build(build: ToolBuilder) {
    return {
      integrations: build(Integrations),
      network: build(Network, { urls: ["https://api.linear.app/*"] }),
      options: build(Options, {
        pollIntervalMs: { type: "number" as const, label: "Polling interval (ms) when webhooks cannot reach this server", default: 5 * 60_000, min: 1 },
      }),
    };
  }

  private async gql<T>(channelId: string | null, query: string, variables: Record<string, unknown> = {}, token?: AuthToken | null): Promise<T | null> {
    const tok = token ?? (channelId ? await this.tools.integrations.get(channelId) : null);
    if (!tok) return null;
    const res = await fetch(GRAPHQL, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${tok.token}` }, body: JSON.stringify({ query, variables }) });
    if (res.status === 400 || res.status === 401) {
      const text = await res.text();
      if (/AUTHENTICATION_ERROR/.test(text) && channelId) await this.tools.integrations.markNeedsReauth(channelId);
      throw new Error(`Linear answered ${res.status}: ${text.slice(0, 200)}`);
    }
    if (!res.ok) throw new Error(`Linear answered ${res.status}`);
    const body = (await res.json()) as { data?: T | null; errors?: Array<{ message: string }> };
    if (body.errors?.length || !body.data) throw new Error(`Linear GraphQL error: ${body.errors?.[0]?.message ?? "no data"}`);
    return body.data;
  }

  override async getAccountName(_auth: Authorization | null, token: AuthToken | null): Promise<string | null> {
    try {
      return (await this.gql<{ organization: { name: string } }>(null, "query { organization { id name } }", {}, token))?.organization.name ?? null;
    } catch {
      return null;
    }
  }

  async getChannels(_auth: Authorization | null, token: AuthToken | null): Promise<Channel[]> {
    const data = await this.gql<{ teams: { nodes: Array<{ id: string; name: string; states: { nodes: Array<{ id: string; name: string; type: string; position: number }> } }> } }>(
      null, "query { teams { nodes { id name key states { nodes { id name type position } } } } }", {}, token);
    return (data?.teams.nodes ?? []).map((t) => {
      const states = [...t.states.nodes].sort((a, b) => a.position - b.position);
      const unstarted = states.find((s) => s.type === "unstarted");
      return {
        id: t.id, title: t.name,
        linkTypes: [{
          type: "issue", label: "Issue", noteLabel: "Comment", sharingModel: "channel" as const, supportsAssignee: true,
          ...(unstarted ? { compose: { status: unstarted.id } } : {}),
          statuses: states.map((s) => ({ status: s.id, label: s.name, icon: ICONS[s.type] ?? "todo", ...(s.type === "completed" || s.type === "canceled" ? { done: true } : {}), ...(s.type === "unstarted" ? { todo: true } : {}) })),
        }],
      };
    });
  }

  async onChannelEnabled(channel: Channel, context?: SyncContext): Promise<void> {
    const team = channel.id;
    await this.set(`sync_enabled_${team}`, true);
    await this.runTask(await this.callback(this.setupLinearWebhook, team));
    if (context?.observeOnly) return;
    await this.set<SyncState>(`sync_state_${team}`, { after: null, batch: 1, initialSync: true });
    await this.scheduleTask(`sync-${team}`, await this.callback(this.syncBatch, team, 1, true), { runAt: new Date() });
  }

  async onChannelDisabled(channel: Channel): Promise<void> {
    const team = channel.id;
    const hookId = await this.get<string>(`webhook_id_${team}`);
    if (hookId) await this.gql(team, "mutation($id: String!) { webhookDelete(id: $id) { success } }", { id: hookId }).catch(() => null);
    const url = await this.get<string>(`webhook_url_${team}`);
    if (url) await this.tools.network.deleteWebhook(url);
    await this.cancelScheduledTask(`poll-${team}`);
    await this.cancelScheduledTask(`sync-${team}`);
    await this.clearMany([`sync_enabled_${team}`, `sync_state_${team}`, `webhook_id_${team}`, `webhook_secret_${team}`, `webhook_url_${team}`, `poll_since_${team}`]);
  }

  async syncBatch(team: string, batch: number, initialSync: boolean): Promise<void> {
    const state = await this.get<SyncState>(`sync_state_${team}`);
    if (state && state.batch === batch + 1) {
      await this.scheduleTask(`sync-${team}`, await this.callback(this.syncBatch, team, batch + 1, initialSync), { runAt: new Date() });
      return;
    }
    if (!state || state.batch !== batch) return;
    const data = await this.gql<{ issues: { nodes: LinIssue[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(team,
      `query($teamId: ID!, $first: Int!, $after: String) { issues(first: $first, after: $after, filter: { team: { id: { eq: $teamId } } }) { nodes { ${ISSUE_FIELDS} } pageInfo { hasNextPage endCursor } } }`,
      { teamId: team, first: PAGE, after: state.after });
    if (!data) return;
    await this.tools.integrations.saveLinks(data.issues.nodes.map((i) => buildLinearLink(team, i, initialSync)));
    if (data.issues.pageInfo.hasNextPage) {
      await this.set<SyncState>(`sync_state_${team}`, { after: data.issues.pageInfo.endCursor, batch: batch + 1, initialSync });
      await this.scheduleTask(`sync-${team}`, await this.callback(this.syncBatch, team, batch + 1, initialSync), { runAt: new Date() });
      return;
    }
    if (initialSync) await this.tools.integrations.channelSyncCompleted(team);
    await this.set(`poll_since_${team}`, new Date().toISOString());
    await this.clear(`sync_state_${team}`);
  }

  async setupLinearWebhook(team: string): Promise<void> {
    const url = await this.tools.network.createWebhook({}, this.onWebhook, team);
    const previousUrl = await this.get<string>(`webhook_url_${team}`);
    if (previousUrl && previousUrl !== url) await this.tools.network.deleteWebhook(previousUrl);
    await this.set(`webhook_url_${team}`, url);
    if (isLocalHookUrl(url)) {
      const interval = Number((this.tools.options as { pollIntervalMs?: number }).pollIntervalMs ?? 300_000);
      await this.scheduleRecurring(`poll-${team}`, await this.callback(this.pollTeam, team), { intervalMs: interval });
      return;
    }
    await this.cancelScheduledTask(`poll-${team}`);
    const old = await this.get<string>(`webhook_id_${team}`);
    if (old) await this.gql(team, "mutation($id: String!) { webhookDelete(id: $id) { success } }", { id: old }).catch(() => null);
    const secret = newSecret();
    const data = await this.gql<{ webhookCreate: { success: boolean; webhook: { id: string } } }>(team,
      "mutation($input: WebhookCreateInput!) { webhookCreate(input: $input) { success webhook { id enabled } } }",
      { input: { url, teamId: team, resourceTypes: ["Issue", "Comment"], secret, label: "taiku" } });
    if (!data?.webhookCreate.success) throw new Error(`Linear webhook registration for ${team} failed`);
    await this.setMany<unknown>([[`webhook_id_${team}`, data.webhookCreate.webhook.id], [`webhook_secret_${team}`, secret]]);
  }

  async pollTeam(team: string): Promise<void> {
    if (!(await this.get<boolean>(`sync_enabled_${team}`))) return;
    if (await this.get<SyncState>(`sync_state_${team}`)) return;
    const since = (await this.get<string>(`poll_since_${team}`)) ?? new Date(0).toISOString();
    const started = new Date().toISOString();
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const data: { issues: { nodes: LinIssue[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } | null = await this.gql(team,
        `query($teamId: ID!, $first: Int!, $after: String, $updatedAfter: DateTimeOrDuration) { issues(first: $first, after: $after, filter: { team: { id: { eq: $teamId } }, updatedAt: { gt: $updatedAfter } }) { nodes { ${ISSUE_FIELDS} } pageInfo { hasNextPage endCursor } } }`,
        { teamId: team, first: PAGE, after, updatedAfter: since });
      if (!data) return;
      await this.tools.integrations.saveLinks(data.issues.nodes.map((n) => buildLinearLink(team, n, false)));
      if (!data.issues.pageInfo.hasNextPage) break;
      after = data.issues.pageInfo.endCursor;
    }
    await this.set(`poll_since_${team}`, started);
  }

  async onWebhook(request: WebhookRequest, team: string): Promise<void> {
    const secret = await this.get<string>(`webhook_secret_${team}`);
    if (!secret || !verifyHmac(secret, request.rawBody ?? "", request.headers["linear-signature"])) {
      console.warn(`linear webhook for ${team}: bad or missing signature, ignored`);
      return;
    }
    const body = request.body as { type?: string; action?: string; data?: Record<string, unknown> };
    if (body.type === "Issue" && body.data) {
      await this.tools.integrations.saveLink(buildLinearLink(team, body.data as unknown as LinIssue, false));
    } else if (body.type === "Comment" && body.data) {
      const c = body.data as { id: string; body: string; createdAt: string; user?: LinUser; issue?: { id: string; identifier: string; title: string; url?: string } };
      if (!c.issue) return;
      await this.tools.integrations.saveLink({
        source: `linear:issue:${c.issue.id}`, channelId: team, title: c.issue.title,
        notes: [{ key: `comment-${c.id}`, content: c.body, author: contact(c.user), created: new Date(c.createdAt) }],
      });
    }
  }

  override async onNoteCreated(note: Note, thread?: Thread): Promise<string | NoteWriteBackResult | void> {
    const meta = thread?.meta ?? {};
    const data = await this.gql<{ commentCreate: { success: boolean; comment: { id: string; body: string } } }>(String(meta.channelId),
      "mutation($input: CommentCreateInput!) { commentCreate(input: $input) { success comment { id body } } }",
      { input: { issueId: String(meta.linearId), body: note.content ?? "" } }).catch((e: Error) => ({ error: e.message }) as never);
    if (!data || !("commentCreate" in data)) return { deliveryError: { code: "send_failed", message: "Linear did not accept the comment" } };
    return { key: `comment-${data.commentCreate.comment.id}`, externalContent: data.commentCreate.comment.body };
  }

  override async onLinkUpdated(link: Link): Promise<void> {
    const input: Record<string, string> = { title: link.title };
    if (link.status) input.stateId = link.status;
    await this.gql(link.channelId, "mutation($id: String!, $input: IssueUpdateInput!) { issueUpdate(id: $id, input: $input) { success } }", { id: String(link.meta?.linearId), input })
      .catch((e: Error) => console.warn(`linear write-back of ${link.source} failed: ${e.message}`));
  }
}

export default Linear;
