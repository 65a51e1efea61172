#!/usr/bin/env node
/**
 * Gmail toolkit catalogue from Google's generated Gmail API client (npm `@googleapis/gmail`, v1.ts,
 * itself generated from the Gmail discovery document): every method's HTTP verb, path, path
 * parameters, parameter interface and request body schema. Run: node packages/server/scripts/gen-catalogue-gmail.mjs
 *
 * Rules:
 * - every method of the `users` resource tree becomes a tool;
 * - slug = "GMAIL_" + UPPER_SNAKE(method id without "users.") ("users.messages.send" →
 *   GMAIL_MESSAGES_SEND, "users.getProfile" → GMAIL_GET_PROFILE); name = the method id;
 *   description = the method's doc comment (first paragraph);
 * - inputParameters: the method's parameters (Google's standard parameters such as `alt`,
 *   `fields`, `quotaUser` left out; `userId` defaults to "me") plus `requestBody` expanded one
 *   level from its Schema$ interface; media uploads are not offered.
 */
import ts from "typescript";
import { join } from "node:path";
import { assignSlugs, objectSchema, packageDir, packageVersion, trimText, upperSnake, writeCatalogue } from "./catalogue-lib.mjs";

const PKG = "@googleapis/gmail";
const file = join(packageDir(PKG), "v1.ts");
const program = ts.createProgram([file], { strict: true, skipLibCheck: true, noEmit: true, target: ts.ScriptTarget.ES2022, moduleResolution: ts.ModuleResolutionKind.Node10 });
const checker = program.getTypeChecker();
const sf = program.getSourceFile(file);
const STANDARD = new Set(["alt", "fields", "key", "oauth_token", "prettyPrint", "quotaUser", "uploadType", "upload_protocol", "access_token", "callback", "$.xgafv", "auth", "media"]);

const interfaces = new Map();
const tools = [];
function visit(node) {
  if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node);
  if (ts.isClassDeclaration(node) && node.name?.text.startsWith("Resource$Users")) {
    const docs = new Map();
    for (const m of node.members) {
      if (!ts.isMethodDeclaration(m) || !m.name) continue;
      const name = m.name.getText(sf);
      const jsdoc = ts.getJSDocCommentsAndTags(m).map((d) => (typeof d.comment === "string" ? d.comment : ts.getTextOfJSDocComment(d.comment) ?? "")).join("\n");
      if (jsdoc && !docs.has(name)) docs.set(name, jsdoc);
      if (!m.body) continue;
      const body = m.body.getText(sf);
      const url = /url:\s*\(\s*rootUrl \+ '([^']+)'/.exec(body)?.[1];
      const method = /method: '([A-Z]+)'/.exec(body)?.[1];
      const paramsType = /\)\s*as (Params\$[\w$]+);/.exec(body)?.[1];
      const pathParams = JSON.parse((/pathParams: (\[[^\]]*\])/.exec(body)?.[1] ?? "[]").replace(/'/g, '"'));
      const requiredParams = JSON.parse((/requiredParams: (\[[^\]]*\])/.exec(body)?.[1] ?? "[]").replace(/'/g, '"'));
      if (!url || !method || !paramsType) continue;
      const resource = node.name.text.replace(/^Resource\$/, "").split("$").map((s) => s[0].toLowerCase() + s.slice(1)).join(".");
      const id = `${resource}.${name}`;
      tools.push({ id, url, method, paramsType, pathParams, requiredParams, doc: docs.get(name) ?? "" });
    }
  }
  ts.forEachChild(node, visit);
}
visit(sf);

const out = [];
for (const t of tools) {
  const decl = interfaces.get(t.paramsType);
  if (!decl) continue;
  const type = checker.getTypeAtLocation(decl);
  const schema = objectSchema(ts, checker, type, 1, STANDARD);
  delete schema.required; // googleapis marks everything optional; requiredParams says what is required
  for (const p of Object.values(schema.properties)) if (p && typeof p === "object") delete p.required;
  const rb = type.getProperty("requestBody");
  if (rb) {
    const rbType = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(rb, rb.valueDeclaration));
    schema.properties.requestBody = { ...objectSchema(ts, checker, rbType, 1), description: "Request body" };
    delete schema.properties.requestBody.required;
  }
  if (schema.properties.userId) schema.properties.userId.default = "me";
  const required = t.requiredParams.filter((p) => p !== "userId");
  const path = t.url.replace(/^\//, "/");
  out.push({
    sourceId: t.id,
    slug: "GMAIL_" + upperSnake(t.id.replace(/^users\./, "")),
    name: t.id,
    description: trimText(t.doc.replace(/@example[\s\S]*/, ""), 200) || t.id,
    inputParameters: { ...schema, ...(required.length ? { required } : {}), additionalProperties: false },
    http: {
      method: t.method,
      path,
      pathParams: t.pathParams,
      queryParams: Object.keys(schema.properties).filter((k) => !t.pathParams.includes(k) && k !== "requestBody"),
      bodyParams: [],
      ...(rb ? { body: "requestBody" } : {}),
    },
  });
}

writeCatalogue("gmail", {
  toolkit: "gmail",
  name: "Gmail",
  source: { package: PKG, version: packageVersion(PKG), document: "v1.ts" },
  tools: assignSlugs(out),
});
