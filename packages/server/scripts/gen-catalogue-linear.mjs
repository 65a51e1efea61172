#!/usr/bin/env node
/**
 * Linear toolkit catalogue from Linear's GraphQL schema as compiled into the official SDK (npm
 * `@linear/sdk`: one typed GraphQL document per query and mutation, `LinearDocument.*Document`,
 * plus TypeScript types for every input object). Run: node packages/server/scripts/gen-catalogue-linear.mjs
 *
 * Rules:
 * - every top-level query and mutation document becomes a tool (nested connection documents,
 *   whose names contain "_", are left out, as are documents over 4 KB once printed);
 * - slug = "LINEAR_" + UPPER_SNAKE(document name) ("CreateIssueDocument" → LINEAR_CREATE_ISSUE);
 *   name = the operation name; description = "GraphQL <query|mutation> <field>" + the input type;
 * - inputParameters: the operation's variables; scalars mapped (String/ID/DateTime… → string,
 *   Int → integer, Float → number, Boolean → boolean, JSON → any), lists → arrays, input objects
 *   expanded one level from the SDK's TypeScript input types; non-null → required.
 */
import ts from "typescript";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parse, print } from "graphql";
import { assignSlugs, objectSchema, packageDir, packageVersion, upperSnake, writeCatalogue } from "./catalogue-lib.mjs";

const PKG = "@linear/sdk";
const { LinearDocument } = await import(join(packageDir(PKG), "dist", "index.mjs"));

// TypeScript input object types, for expanding input variables.
const dts = readdirSync(join(packageDir(PKG), "dist")).filter((f) => f.endsWith(".d.mts")).map((f) => join(packageDir(PKG), "dist", f));
const program = ts.createProgram(dts, { strict: true, skipLibCheck: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext });
const checker = program.getTypeChecker();
const inputTypes = new Map();
for (const f of dts) {
  const sf = program.getSourceFile(f);
  if (!sf) continue;
  const visit = (n) => {
    if ((ts.isTypeAliasDeclaration(n) || ts.isInterfaceDeclaration(n)) && /Input$/.test(n.name.text) && !inputTypes.has(n.name.text)) inputTypes.set(n.name.text, n);
    ts.forEachChild(n, visit);
  };
  visit(sf);
}

const SCALARS = { String: "string", ID: "string", DateTime: "string", DateTimeOrDuration: "string", TimelessDate: "string", TimelessDateOrDuration: "string", UUID: "string", Int: "integer", Float: "number", Boolean: "boolean" };

function typeSchema(node) {
  if (node.kind === "NonNullType") return typeSchema(node.type);
  if (node.kind === "ListType") return { type: "array", items: typeSchema(node.type) };
  const name = node.name.value;
  if (SCALARS[name]) return { type: SCALARS[name] };
  if (name === "JSON" || name === "JSONObject") return {};
  const decl = inputTypes.get(name);
  if (decl) return { ...objectSchema(ts, checker, checker.getTypeAtLocation(decl), 1), description: name };
  return { type: "string", description: name }; // enums
}

const tools = [];
for (const [key, doc] of Object.entries(LinearDocument)) {
  if (!key.endsWith("Document") || key.includes("_") || !doc) continue;
  // The SDK ships each document as a string (TypedDocumentString); parse it with graphql-js.
  const parsed = parse(String(doc));
  const op = parsed.definitions.find((d) => d.kind === "OperationDefinition");
  if (!op) continue;
  const query = print(parsed);
  if (query.length > 4096) continue;
  const properties = {};
  const required = [];
  for (const v of op.variableDefinitions ?? []) {
    const n = v.variable.name.value;
    properties[n] = typeSchema(v.type);
    if (v.type.kind === "NonNullType" && !v.defaultValue) required.push(n);
  }
  const field = op.selectionSet.selections[0]?.name?.value ?? op.name?.value;
  const base = key.replace(/Document$/, "");
  tools.push({
    sourceId: base,
    slug: "LINEAR_" + upperSnake(base),
    name: op.name?.value ?? base,
    description: `GraphQL ${op.operation} ${field}` + (Object.keys(properties).length ? ` (${Object.keys(properties).join(", ")})` : ""),
    inputParameters: { type: "object", properties, ...(required.length ? { required } : {}), additionalProperties: false },
    graphql: { query, variables: Object.keys(properties) },
  });
}

writeCatalogue("linear", {
  toolkit: "linear",
  name: "Linear",
  source: { package: PKG, version: packageVersion(PKG), document: "dist/index.mjs LinearDocument" },
  tools: assignSlugs(tools),
});
