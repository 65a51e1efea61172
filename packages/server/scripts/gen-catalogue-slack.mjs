#!/usr/bin/env node
/**
 * Slack toolkit catalogue from the Slack Web API method list as published in the official SDK's type
 * definitions (npm `@slack/web-api`, dist/methods.d.ts: every method with its arguments type).
 * Run: node packages/server/scripts/gen-catalogue-slack.mjs
 *
 * Rules:
 * - every Web API method becomes a tool, except `admin.*` (Enterprise Grid org admin) and methods
 *   marked @deprecated;
 * - slug = "SLACK_" + UPPER_SNAKE(method) ("chat.postMessage" → SLACK_CHAT_POST_MESSAGE); name =
 *   the method; description = the SDK's @description;
 * - inputParameters from the method's arguments type (TypeScript compiler API), minus `token`
 *   (taiku sends the user's token); objects expanded one level; unions → anyOf.
 */
import ts from "typescript";
import { join } from "node:path";
import { assignSlugs, objectSchema, packageDir, packageVersion, trimText, upperSnake, writeCatalogue } from "./catalogue-lib.mjs";

const PKG = "@slack/web-api";
const file = join(packageDir(PKG), "dist", "methods.d.ts");
const program = ts.createProgram([file], { strict: true, skipLibCheck: true, noEmit: true });
const checker = program.getTypeChecker();
const sf = program.getSourceFile(file);
let methodsClass;
ts.forEachChild(sf, (n) => {
  if (ts.isClassDeclaration(n) && n.name?.text === "Methods") methodsClass = n;
});
const tools = [];
function walk(type, prefix) {
  for (const sym of checker.getPropertiesOfType(type)) {
    const decl = sym.valueDeclaration ?? sym.declarations?.[0];
    if (!decl) continue;
    const t = checker.getTypeOfSymbolAtLocation(sym, decl);
    const name = prefix ? `${prefix}.${sym.name}` : sym.name;
    const sigs = t.getCallSignatures();
    const tags = sym.getJsDocTags(checker);
    if (sigs.length && prefix) {
      if (name.startsWith("admin.") || tags.some((x) => x.name === "deprecated")) continue;
      const param = sigs[0].getParameters()[0];
      const argType = param ? checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(param, param.valueDeclaration)) : null;
      let schema = argType ? objectSchema(ts, checker, argType, 1, new Set(["token"])) : { type: "object", properties: {} };
      if (argType?.isUnion()) {
        // Argument unions (e.g. channel or user) → properties of all members; required = required in every member.
        const parts = argType.types.map((p) => objectSchema(ts, checker, p, 1, new Set(["token"])));
        const properties = Object.assign({}, ...parts.map((p) => p.properties));
        const required = Object.keys(properties).filter((k) => parts.every((p) => p.required?.includes(k)));
        schema = { type: "object", properties, ...(required.length ? { required } : {}) };
      }
      const desc = tags.find((x) => x.name === "description");
      tools.push({
        sourceId: name,
        slug: "SLACK_" + upperSnake(name),
        name,
        description: trimText(desc ? ts.displayPartsToString(desc.text) : name, 200),
        inputParameters: { ...schema, additionalProperties: false },
        method: name,
      });
    } else if (!sigs.length && (t.flags & ts.TypeFlags.Object)) {
      walk(t, name);
    }
  }
}
const classType = checker.getTypeAtLocation(methodsClass);
walk(classType, "");

writeCatalogue("slack", {
  toolkit: "slack",
  name: "Slack",
  source: { package: PKG, version: packageVersion(PKG), document: "dist/methods.d.ts" },
  tools: assignSlugs(tools),
});
