/**
 * Linear GraphQL stand-in (POST /graphql). Quirks as documented by Linear: GraphQL errors come in an
 * `errors` array; an unauthenticated request gets HTTP 400 with
 * `extensions.code: "AUTHENTICATION_ERROR"`; a bad input gets HTTP 200 with `errors` and `data: null`.
 * It understands the two operations the tests run (issueCreate, issues) by their root field.
 */
import { createHash, randomBytes } from "node:crypto";
import { buildSchema, parse, validate, VariablesInAllowedPositionRule, type OperationDefinitionNode, type FieldNode } from "graphql";
import { bearer, json, listen, type StandIn } from "./http.js";

/**
 * The part of Linear's schema (as in @linear/sdk's generated types) whose argument and input-field
 * types the tests' operations use. Linear validates every document against its schema before running
 * it, so a variable of the wrong type (e.g. `String!` where `IDComparator.eq` takes `ID`) is an HTTP 400
 * GRAPHQL_VALIDATION_FAILED there; the stand-in runs the same rule. Fields outside this subset are not
 * checked.
 */
const SCHEMA = buildSchema(`
  scalar DateTime
  scalar DateTimeOrDuration
  input IDComparator { eq: ID, neq: ID, in: [ID!], nin: [ID!] }
  input StringComparator { eq: String, neq: String, in: [String!], nin: [String!], contains: String }
  input DateComparator { eq: DateTimeOrDuration, neq: DateTimeOrDuration, gt: DateTimeOrDuration, gte: DateTimeOrDuration, lt: DateTimeOrDuration, lte: DateTimeOrDuration }
  input TeamFilter { id: IDComparator, key: StringComparator, name: StringComparator, and: [TeamFilter!], or: [TeamFilter!] }
  input IssueFilter { id: IDComparator, team: TeamFilter, createdAt: DateComparator, updatedAt: DateComparator, and: [IssueFilter!], or: [IssueFilter!] }
  input IssueCreateInput { teamId: String!, title: String, description: String, stateId: String, assigneeId: String }
  input IssueUpdateInput { title: String, description: String, stateId: String, assigneeId: String }
  input CommentCreateInput { issueId: String, body: String }
  input WebhookCreateInput { url: String!, resourceTypes: [String!]!, teamId: String, secret: String, label: String, enabled: Boolean, allPublicTeams: Boolean, id: String }
  type PageInfo { hasNextPage: Boolean!, endCursor: String }
  type Comment { id: ID! }
  type CommentConnection { nodes: [Comment!]!, pageInfo: PageInfo! }
  type Issue { id: ID!, comments(after: String, before: String, first: Int, last: Int): CommentConnection! }
  type IssueConnection { nodes: [Issue!]!, pageInfo: PageInfo! }
  type Team { id: ID!, issues(after: String, first: Int, filter: IssueFilter): IssueConnection! }
  type TeamConnection { nodes: [Team!]!, pageInfo: PageInfo! }
  type Organization { id: ID! }
  type User { id: ID! }
  type IssuePayload { success: Boolean! }
  type CommentPayload { success: Boolean! }
  type WebhookPayload { success: Boolean! }
  type DeletePayload { success: Boolean! }
  type Query {
    issues(after: String, before: String, filter: IssueFilter, first: Int, includeArchived: Boolean, last: Int): IssueConnection!
    issue(id: String!): Issue!
    teams(after: String, before: String, filter: TeamFilter, first: Int, includeArchived: Boolean, last: Int): TeamConnection!
    team(id: String!): Team!
    organization: Organization!
    viewer: User!
  }
  type Mutation {
    issueCreate(input: IssueCreateInput!): IssuePayload!
    issueUpdate(id: String!, input: IssueUpdateInput!): IssuePayload!
    commentCreate(input: CommentCreateInput!): CommentPayload!
    webhookCreate(input: WebhookCreateInput!): WebhookPayload!
    webhookDelete(id: String!): DeletePayload!
  }
`);

export interface LinearIssue {
  id: string;
  identifier: string;
  title: string;
  teamId: string;
  description?: string;
  // ---- fields the connector tests use
  stateId?: string;
  createdAt?: string;
  updatedAt?: string;
  creatorId?: string;
  comments?: Array<{ id: string; body: string; userId: string; createdAt: string }>;
}

export interface LinearStandIn extends StandIn {
  issues: LinearIssue[];
  teams: Array<{ id: string; name: string; key: string }>;
  states: Array<{ id: string; name: string; type: string; position: number; teamId: string }>;
  webhooks: Array<{ id: string; url: string; teamId: string; secret: string; resourceTypes: string[] }>;
  /** Adds `count` issues to a team. */
  seed(teamId: string, count: number): void;
  /** Edits an issue as a person in Linear would; returns the webhook `data` for it. */
  edit(issueId: string, patch: { title?: string; stateId?: string }): Record<string, unknown>;
  issueData(issue: LinearIssue): Record<string, unknown>;
}

/**
 * `opts.clientId`/`clientSecret` turn on Linear's own OAuth endpoints (linear.app/oauth/authorize with
 * auto-consent, api.linear.app/oauth/token). Linear's token answer is JSON with `token_type: "Bearer"`
 * and `scope` as an ARRAY of strings (developers.linear.app "OAuth 2.0 authentication"), not the
 * RFC 6749 space-separated string; errors are HTTP 400 `{ error, error_description }`.
 */
export async function startLinear(opts: { verify?: (token: string) => Promise<{ accountId: string } | null>; clientId?: string; clientSecret?: string }): Promise<LinearStandIn> {
  const codes = new Map<string, { redirectUri: string; challenge: string; scope: string }>();
  const issued = new Set<string>();
  const issues: LinearStandIn["issues"] = [];
  const TEAM = "9cfb482a-81e3-4154-b5b9-2c805e70a02d";
  const teams = [{ id: TEAM, name: "Engineering", key: "ENG" }];
  const states = [
    { id: "5a1b2c3d-0000-4000-8000-000000000001", name: "Backlog", type: "backlog", position: 0, teamId: TEAM },
    { id: "5a1b2c3d-0000-4000-8000-000000000002", name: "Todo", type: "unstarted", position: 1, teamId: TEAM },
    { id: "5a1b2c3d-0000-4000-8000-000000000003", name: "In Progress", type: "started", position: 2, teamId: TEAM },
    { id: "5a1b2c3d-0000-4000-8000-000000000004", name: "Done", type: "completed", position: 3, teamId: TEAM },
    { id: "5a1b2c3d-0000-4000-8000-000000000005", name: "Canceled", type: "canceled", position: 4, teamId: TEAM },
  ];
  const webhooks: LinearStandIn["webhooks"] = [];
  const users = new Map([["user-1", { id: "user-1", name: "Ada", email: "ada@example.com" }]]);
  // Seeded items are historic (a second apart, starting 30 days ago); later writes carry the real time.
  let seedTick = Date.now() - 30 * 86_400_000;
  let last = 0;
  const seedStamp = () => new Date((seedTick += 1000)).toISOString();
  const stamp = () => new Date((last = Math.max(Date.now(), last + 1))).toISOString();
  const issueData = (i: LinearIssue) => {
    const state = states.find((s) => s.id === (i.stateId ?? states[1]!.id))!;
    return {
      id: i.id, identifier: i.identifier, title: i.title, description: i.description ?? null, url: `https://linear.app/eng/issue/${i.identifier}`,
      createdAt: i.createdAt ?? stamp(), updatedAt: i.updatedAt ?? i.createdAt ?? stamp(), teamId: i.teamId, team: { id: i.teamId },
      state: { id: state.id, name: state.name, type: state.type }, creator: users.get(i.creatorId ?? "user-1") ?? null, assignee: null,
      comments: { nodes: (i.comments ?? []).map((c) => ({ id: c.id, body: c.body, createdAt: c.createdAt, user: users.get(c.userId) ?? null })) },
    };
  };
  const connectorOps = (root: string, variables: Record<string, any>): unknown => {
    switch (root) {
      case "teams":
        return { teams: { nodes: teams.map((t) => ({ ...t, states: { nodes: states.filter((s) => s.teamId === t.id) } })) } };
      case "organization":
        return { organization: { id: "org-1", name: "Acme Linear" } };
      case "viewer":
        return { viewer: users.get("user-1") };
      case "issueUpdate": {
        const i = issues.find((x) => x.id === variables.id);
        if (!i) return null;
        if (variables.input?.title !== undefined) i.title = variables.input.title;
        if (variables.input?.stateId !== undefined) i.stateId = variables.input.stateId;
        i.updatedAt = stamp();
        return { issueUpdate: { success: true, issue: issueData(i) } };
      }
      case "commentCreate": {
        const i = issues.find((x) => x.id === variables.input?.issueId);
        if (!i) return null;
        const c = { id: `cmt-${Math.random().toString(36).slice(2, 10)}`, body: String(variables.input.body), userId: "user-1", createdAt: stamp() };
        (i.comments ??= []).push(c);
        i.updatedAt = c.createdAt;
        return { commentCreate: { success: true, comment: { id: c.id, body: c.body, createdAt: c.createdAt } } };
      }
      case "webhookCreate": {
        const w = { id: `wh-${webhooks.length + 1}`, url: String(variables.input.url), teamId: String(variables.input.teamId), secret: String(variables.input.secret ?? ""), resourceTypes: variables.input.resourceTypes ?? [] };
        webhooks.push(w);
        return { webhookCreate: { success: true, webhook: { id: w.id, enabled: true } } };
      }
      case "webhookDelete": {
        const at = webhooks.findIndex((w) => w.id === variables.id);
        if (at >= 0) webhooks.splice(at, 1);
        return { webhookDelete: { success: at >= 0 } };
      }
      default:
        return undefined;
    }
  };
  const s = await listen(async (req, res, body, url) => {
    if (url.pathname === "/oauth/authorize" && opts.clientId) {
      const q = url.searchParams;
      const code = randomBytes(10).toString("hex");
      codes.set(code, { redirectUri: q.get("redirect_uri") ?? "", challenge: q.get("code_challenge") ?? "", scope: q.get("scope") ?? "read" });
      const to = new URL(q.get("redirect_uri")!);
      to.searchParams.set("code", code);
      to.searchParams.set("state", q.get("state") ?? "");
      res.writeHead(302, { location: to.href });
      return res.end();
    }
    if (url.pathname === "/oauth/token" && req.method === "POST" && opts.clientId) {
      const form = new URLSearchParams(body);
      if (form.get("client_id") !== opts.clientId || form.get("client_secret") !== opts.clientSecret) return json(res, 400, { error: "invalid_client", error_description: "Client authentication failed" });
      const code = codes.get(form.get("code") ?? "");
      codes.delete(form.get("code") ?? "");
      const verified = code && createHash("sha256").update(form.get("code_verifier") ?? "").digest("base64url") === code.challenge;
      if (form.get("grant_type") !== "authorization_code" || !code || code.redirectUri !== form.get("redirect_uri") || !verified) {
        return json(res, 400, { error: "invalid_grant", error_description: "Invalid authorization code" });
      }
      const access = "lin_oauth_" + randomBytes(20).toString("hex");
      issued.add(access);
      return json(res, 200, { access_token: access, token_type: "Bearer", expires_in: 86399, scope: code.scope.split(/[\s,]+/).filter(Boolean), refresh_token: "lin_refresh_" + randomBytes(20).toString("hex") });
    }
    if (url.pathname !== "/graphql" || req.method !== "POST") return json(res, 404, { errors: [{ message: "Not found" }] });
    const token = bearer(req);
    if (!token || !(issued.has(token) || (opts.verify && (await opts.verify(token))))) {
      return json(res, 400, {
        errors: [{ message: "Authentication required, not authenticated", extensions: { type: "authentication error", code: "AUTHENTICATION_ERROR", userPresentableMessage: "You need to authenticate to access this operation." } }],
      });
    }
    const { query, variables } = JSON.parse(body) as { query: string; variables: Record<string, any> };
    const doc = parse(query);
    const invalid = validate(SCHEMA, doc, [VariablesInAllowedPositionRule]);
    if (invalid.length) {
      return json(res, 400, { errors: invalid.map((e) => ({ message: e.message, locations: e.locations, extensions: { code: "GRAPHQL_VALIDATION_FAILED", type: "graphql error", userError: false } })) });
    }
    const op = doc.definitions.find((d) => d.kind === "OperationDefinition") as OperationDefinitionNode;
    const root = (op.selectionSet.selections[0] as FieldNode).name.value;
    if (root === "issueCreate") {
      const input = variables.input ?? {};
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(String(input.teamId))) return json(res, 200, { data: null, errors: [{ message: "Argument Validation Error", path: ["issueCreate"], extensions: { code: "INVALID_INPUT", validationErrors: [{ property: "teamId", constraints: { isUuid: "teamId must be a UUID" } }] } }] });
      const issue: LinearIssue = { id: `iss-${issues.length + 1}`, identifier: `ENG-${issues.length + 1}`, title: input.title, teamId: input.teamId, description: input.description };
      issues.push(issue);
      return json(res, 200, { data: { issueCreate: { __typename: "IssuePayload", lastSyncId: 42, issue: { id: issue.id }, success: true } } });
    }
    if (root === "issues") {
      // Team filter, `updatedAt` floor and cursor pagination when asked for (older tests send no variables).
      let list = issues;
      if (variables?.teamId) list = list.filter((i) => i.teamId === variables.teamId);
      if (variables?.updatedAfter) list = list.filter((i) => (i.updatedAt ?? "") > variables.updatedAfter);
      const first = Math.min(250, Number(variables?.first ?? 50));
      const start = variables?.after ? Number(variables.after) : 0;
      const page = variables?.first ? list.slice(start, start + first) : list;
      const hasNextPage = variables?.first ? start + first < list.length : false;
      return json(res, 200, { data: { issues: { nodes: page.map((i) => issueData(i)), pageInfo: { hasNextPage, endCursor: hasNextPage ? String(start + first) : null } } } });
    }
    const extra = connectorOps(root, variables ?? {});
    if (extra === null) return json(res, 200, { data: null, errors: [{ message: "Entity not found", path: [root], extensions: { code: "INVALID_INPUT" } }] });
    if (extra !== undefined) return json(res, 200, { data: extra });
    return json(res, 400, { errors: [{ message: `Cannot query field "${root}" on type "Query".`, extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }] });
  });
  const seed = (teamId: string, count: number) => {
    for (let k = 0; k < count; k++) {
      const n = issues.length + 1;
      const at = seedStamp();
      issues.push({ id: `iss-${n}`, identifier: `ENG-${n}`, title: `Linear issue ${n}`, teamId, description: `Description ${n}`, stateId: states[n % 4]!.id, createdAt: at, updatedAt: at, creatorId: "user-1" });
    }
  };
  const edit = (issueId: string, patch: { title?: string; stateId?: string }) => {
    const i = issues.find((x) => x.id === issueId)!;
    Object.assign(i, patch, { updatedAt: stamp() });
    return issueData(i);
  };
  return Object.assign(s, { issues, teams, states, webhooks, seed, edit, issueData });
}
