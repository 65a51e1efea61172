/** Linear, Slack and Gmail through unchanged provider code: real AS for consent, stand-ins for the APIs and their quirks. */
import { describe, expect, it } from "vitest";
import { startGmail } from "./standins/gmail.js";
import { startLinear } from "./standins/linear.js";
import { startSlack } from "./standins/slack.js";
import { asApp, connect, connections, execute, onCleanup, realAs, registerClients, startTaiku } from "./harness.js";

const TEAM = "9cfb482a-81e3-4154-b5b9-2c805e70a02d";

describe("built-in toolkits against their stand-ins", () => {
  it("Linear: GraphQL mutation and query; GraphQL errors as tool results, HTTP 400 auth errors verbatim", async () => {
    const as = await realAs();
    const lin = await startLinear({ verify: (t) => as.verify(t) });
    onCleanup(() => lin.close());
    const t = await startTaiku({ integrations: { apps: { linear: asApp(as, "taiku-linear", ["read", "write"]) } }, egressHosts: { "api.linear.app": lin.url } });
    registerClients(as, t, ["taiku-linear"]);
    const { answer } = await connect(t, "linear");
    expect(new URL(answer.redirectUrl).searchParams.get("scope")).toBe("read,write"); // Linear takes comma-separated scopes

    const created = await execute(t, "linear", "LINEAR_CREATE_ISSUE", { input: { teamId: TEAM, title: "From taiku" } });
    expect(created.status).toBe(200);
    expect(created.json()).toEqual({ data: { issueCreate: { __typename: "IssuePayload", lastSyncId: 42, issue: { id: "iss-1" }, success: true } } });
    expect(lin.issues).toEqual([expect.objectContaining({ title: "From taiku", teamId: TEAM })]);

    const missing = await execute(t, "linear", "LINEAR_CREATE_ISSUE", { input: { title: "no team" } });
    expect([missing.status, missing.text]).toEqual([400, 'Invalid arguments for LINEAR_CREATE_ISSUE: missing required argument "input.teamId"']);

    // A tool-level failure (HTTP 200 + errors) is the tool's result, verbatim.
    const bad = await execute(t, "linear", "LINEAR_CREATE_ISSUE", { input: { teamId: "not-a-uuid", title: "x" } });
    expect(bad.status).toBe(200);
    expect(bad.json().errors[0].extensions.code).toBe("INVALID_INPUT");

    // An upstream HTTP error: revoke at the AS, then Linear answers 400 AUTHENTICATION_ERROR → 502 verbatim.
    const token = String(lin.log.at(-1)!.headers.authorization).replace("Bearer ", "");
    await as.provider.AccessToken.find(token).then((at: { destroy(): Promise<void> }) => at.destroy());
    const denied = await execute(t, "linear", "LINEAR_ISSUES", {});
    expect(denied.status).toBe(502);
    expect(denied.headers.get("x-taiku-upstream-status")).toBe("400");
    expect(denied.text).toBe(
      '{"errors":[{"message":"Authentication required, not authenticated","extensions":{"type":"authentication error","code":"AUTHENTICATION_ERROR","userPresentableMessage":"You need to authenticate to access this operation."}}]}',
    );
  });

  it("Slack: HTTP-200 `ok: false` answers are tool results; a revoked token marks the connection EXPIRED", async () => {
    const as = await realAs();
    const slack = await startSlack({ verify: (t) => as.verify(t) });
    onCleanup(() => slack.close());
    const t = await startTaiku({ integrations: { apps: { slack: asApp(as, "taiku-slack", ["chat:write"]) } }, egressHosts: { "slack.com": slack.url } });
    registerClients(as, t, ["taiku-slack"]);
    await connect(t, "slack");
    const posted = await execute(t, "slack", "SLACK_CHAT_POST_MESSAGE", { channel: "C0GENERAL", text: "hello from taiku", unfurl_links: false });
    expect(posted.status).toBe(200);
    expect(posted.json()).toMatchObject({ ok: true, channel: "C0GENERAL", message: { text: "hello from taiku" } });
    expect(slack.channels.get("C0GENERAL")).toEqual([expect.objectContaining({ text: "hello from taiku" })]);
    const call = slack.log.at(-1)!;
    expect(call.path).toBe("/api/chat.postMessage");
    expect(Object.fromEntries(new URLSearchParams(call.body))).toEqual({ channel: "C0GENERAL", text: "hello from taiku", unfurl_links: "false" });

    const notFound = await execute(t, "slack", "SLACK_CHAT_POST_MESSAGE", { channel: "C0NOPE", text: "x" });
    expect([notFound.status, notFound.text]).toEqual([200, '{"ok":false,"error":"channel_not_found"}']);
    expect(await connections(t)).toEqual([expect.objectContaining({ status: "ACTIVE" })]);

    const token = String(call.headers.authorization).replace("Bearer ", "");
    await as.provider.AccessToken.find(token).then((at: { destroy(): Promise<void> }) => at.destroy());
    const revoked = await execute(t, "slack", "SLACK_CONVERSATIONS_LIST", {});
    expect([revoked.status, revoked.text]).toEqual([200, '{"ok":false,"error":"invalid_auth"}']);
    expect(await connections(t)).toEqual([expect.objectContaining({ toolkit: "slack", status: "EXPIRED" })]);
  });

  it("Slack's own oauth.v2.access: `ok: false` on HTTP 200 fails the connection; `ok: true` with token_type bot connects", async () => {
    const slack = await startSlack({ clientId: "111.222", clientSecret: "slack-secret" });
    onCleanup(() => slack.close());
    const hosts = { "slack.com": slack.url };
    const bad = await startTaiku({ integrations: { apps: { slack: { clientId: "111.222", clientSecret: "wrong" } } }, egressHosts: hosts });
    const failed = await connect(bad, "slack", { hosts });
    expect(failed.page.status).toBe(400);
    expect(failed.page.text).toContain("invalid_client_id");
    expect(await connections(bad)).toEqual([expect.objectContaining({ status: "FAILED" })]);

    const good = await startTaiku({ integrations: { apps: { slack: { clientId: "111.222", clientSecret: "slack-secret" } } }, egressHosts: hosts });
    const ok = await connect(good, "slack", { hosts });
    expect(new URL(ok.answer.redirectUrl).origin).toBe("https://slack.com");
    expect(ok.page.status).toBe(200);
    const posted = await execute(good, "slack", "SLACK_CHAT_POST_MESSAGE", { channel: "C0GENERAL", text: "bot token" });
    expect(posted.json()).toMatchObject({ ok: true });
    const token = [...slack.tokens][0]!;
    await good.http.req("DELETE", `/api/v1/integrations/connections/${ok.answer.connectionId}`, { headers: good.headers });
    expect(slack.tokens.has(token)).toBe(false); // auth.revoke
  });

  it("Linear's own oauth/token: the answer's `scope` is an array (not RFC 6749's string), and the connection still becomes ACTIVE", async () => {
    const lin = await startLinear({ clientId: "lin-client", clientSecret: "lin-secret" });
    onCleanup(() => lin.close());
    const hosts = { "linear.app": lin.url, "api.linear.app": lin.url };
    const t = await startTaiku({ integrations: { apps: { linear: { clientId: "lin-client", clientSecret: "lin-secret" } } }, egressHosts: hosts });
    const { answer, page } = await connect(t, "linear", { hosts });
    expect(new URL(answer.redirectUrl).origin).toBe("https://linear.app");
    expect(page.status, page.text.replace(/<style>.*<\/style>|<[^>]+>/gs, " ").replace(/\s+/g, " ")).toBe(200);
    expect(await connections(t)).toEqual([expect.objectContaining({ toolkit: "linear", status: "ACTIVE" })]);
    const teams = await execute(t, "linear", "LINEAR_ISSUES", {});
    expect(teams.status).toBe(200);
  });

  it("Gmail: REST with path defaults and a JSON body; Google's error body verbatim", async () => {
    const as = await realAs();
    const gmail = await startGmail({ verify: (t) => as.verify(t) });
    onCleanup(() => gmail.close());
    const t = await startTaiku({
      integrations: { apps: { gmail: asApp(as, "taiku-gmail", ["https://www.googleapis.com/auth/gmail.modify"]) } },
      egressHosts: { "gmail.googleapis.com": gmail.url },
    });
    registerClients(as, t, ["taiku-gmail"]);
    const { answer } = await connect(t, "gmail");
    const q = new URL(answer.redirectUrl).searchParams;
    expect([q.get("access_type"), q.get("prompt")]).toEqual(["offline", "consent"]);

    const raw = Buffer.from("To: bob@example.com\r\nSubject: hi\r\n\r\nhello").toString("base64url");
    const sent = await execute(t, "gmail", "GMAIL_MESSAGES_SEND", { requestBody: { raw } });
    expect(sent.status).toBe(200);
    expect(sent.json()).toEqual({ id: "18c0000000000001", threadId: "18c0000000000001", labelIds: ["SENT"] });
    expect(gmail.sent).toEqual([{ id: "18c0000000000001", raw }]);
    expect(gmail.log.at(-1)!.path).toBe("/gmail/v1/users/me/messages/send");
    const list = await execute(t, "gmail", "GMAIL_MESSAGES_LIST", { maxResults: 10, q: "from:me" });
    expect(list.json()).toEqual({ messages: [{ id: "18c0000000000001", threadId: "18c0000000000001" }], resultSizeEstimate: 1 });
    expect(gmail.log.at(-1)!.path).toBe("/gmail/v1/users/me/messages?maxResults=10&q=from%3Ame");

    const badType = await execute(t, "gmail", "GMAIL_MESSAGES_LIST", { maxResults: "ten" });
    expect(badType.status).toBe(400);
    const other = await execute(t, "gmail", "GMAIL_GET_PROFILE", { userId: "someone@example.com" });
    expect(other.status).toBe(502);
    expect(JSON.parse(other.text)).toEqual({ error: { code: 403, message: "Delegation denied for someone@example.com", errors: [{ message: "Delegation denied for someone@example.com", domain: "global", reason: "forbidden" }], status: "PERMISSION_DENIED" } });
  });
});
