/**
 * Linear GraphQL stand-in (POST /graphql). Quirks as documented by Linear: GraphQL errors come in an
 * `errors` array; an unauthenticated request gets HTTP 400 with
 * `extensions.code: "AUTHENTICATION_ERROR"`; a bad input gets HTTP 200 with `errors` and `data: null`.
 * It understands the two operations the tests run (issueCreate, issues) by their root field.
 */
import { parse, type OperationDefinitionNode, type FieldNode } from "graphql";
import { bearer, json, listen, type StandIn } from "./http.js";

export interface LinearStandIn extends StandIn {
  issues: Array<{ id: string; identifier: string; title: string; teamId: string; description?: string }>;
}

export async function startLinear(opts: { verify: (token: string) => Promise<{ accountId: string } | null> }): Promise<LinearStandIn> {
  const issues: LinearStandIn["issues"] = [];
  const s = await listen(async (req, res, body, url) => {
    if (url.pathname !== "/graphql" || req.method !== "POST") return json(res, 404, { errors: [{ message: "Not found" }] });
    const token = bearer(req);
    if (!token || !(await opts.verify(token))) {
      return json(res, 400, {
        errors: [{ message: "Authentication required, not authenticated", extensions: { type: "authentication error", code: "AUTHENTICATION_ERROR", userPresentableMessage: "You need to authenticate to access this operation." } }],
      });
    }
    const { query, variables } = JSON.parse(body) as { query: string; variables: Record<string, any> };
    const doc = parse(query);
    const op = doc.definitions.find((d) => d.kind === "OperationDefinition") as OperationDefinitionNode;
    const root = (op.selectionSet.selections[0] as FieldNode).name.value;
    if (root === "issueCreate") {
      const input = variables.input ?? {};
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(String(input.teamId))) return json(res, 200, { data: null, errors: [{ message: "Argument Validation Error", path: ["issueCreate"], extensions: { code: "INVALID_INPUT", validationErrors: [{ property: "teamId", constraints: { isUuid: "teamId must be a UUID" } }] } }] });
      const issue = { id: `iss-${issues.length + 1}`, identifier: `ENG-${issues.length + 1}`, title: input.title, teamId: input.teamId, description: input.description };
      issues.push(issue);
      return json(res, 200, { data: { issueCreate: { __typename: "IssuePayload", lastSyncId: 42, issue: { id: issue.id }, success: true } } });
    }
    if (root === "issues") return json(res, 200, { data: { issues: { nodes: issues.map((i) => ({ id: i.id, title: i.title })), pageInfo: { hasNextPage: false } } } });
    return json(res, 400, { errors: [{ message: `Cannot query field "${root}" on type "Query".`, extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }] });
  });
  return Object.assign(s, { issues });
}
