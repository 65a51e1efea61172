#!/usr/bin/env node
/**
 * GitHub toolkit catalogue from GitHub's REST OpenAPI description (npm `@octokit/openapi`,
 * generated/api.github.com.deref.json). Run: node packages/server/scripts/gen-catalogue-github.mjs
 *
 * Rules:
 * - every operation of api.github.com becomes a tool (deprecated operations are skipped);
 * - slug = "GITHUB_" + UPPER_SNAKE(summary) ("Create an issue" → GITHUB_CREATE_AN_ISSUE);
 *   collisions: see assignSlugs in catalogue-lib.mjs (sorted by operationId, later ones get
 *   "_" + UPPER_SNAKE(operationId));
 * - inputParameters: JSON Schema object of path + query parameters and the JSON body's top-level
 *   properties (flattened); schemas are trimmed to 2 levels of nesting, descriptions to 100 chars,
 *   enums over 40 values dropped; a non-object body becomes the property "body".
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { assignSlugs, packageDir, packageVersion, trimText, upperSnake, writeCatalogue } from "./catalogue-lib.mjs";

const PKG = "@octokit/openapi";
const spec = JSON.parse(readFileSync(join(packageDir(PKG), "generated", "api.github.com.deref.json"), "utf8"));

function convert(s, depth) {
  if (!s || typeof s !== "object") return {};
  const out = {};
  const alt = s.oneOf ?? s.anyOf;
  if (alt) {
    const conv = alt.map((a) => convert(a, depth + 1));
    const simple = conv.every((c) => typeof c.type === "string" && Object.keys(c).length <= 2);
    if (simple) out.type = [...new Set(conv.map((c) => c.type))];
    else out.anyOf = conv;
  } else if (s.allOf) {
    Object.assign(out, convert(Object.assign({}, ...s.allOf), depth));
  } else if (s.type) {
    out.type = s.type;
  }
  if (s.nullable && out.type) out.type = [...new Set([...(Array.isArray(out.type) ? out.type : [out.type]), "null"])];
  if (Array.isArray(out.type) && out.type.length === 1) out.type = out.type[0];
  if (s.description) out.description = trimText(s.description, 100);
  if (Array.isArray(s.enum) && s.enum.length <= 40) out.enum = s.nullable && !s.enum.includes(null) ? [...s.enum, null] : s.enum;
  if (s.default !== undefined && typeof s.default !== "object") out.default = s.default;
  if (s.type === "array" && s.items && depth < 3) out.items = convert(s.items, depth + 1);
  if (s.type === "object" && s.properties && depth < 2) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, convert(v, depth + 1)]));
    if (Array.isArray(s.required) && s.required.length) out.required = s.required;
  }
  return out;
}

const tools = [];
for (const [path, item] of Object.entries(spec.paths)) {
  for (const method of ["get", "post", "put", "patch", "delete"]) {
    const op = item[method];
    if (!op || !op.operationId || op.deprecated || !op.summary) continue;
    const properties = {};
    const required = [];
    const http = { method: method.toUpperCase(), path, pathParams: [], queryParams: [], bodyParams: [] };
    for (const p of [...(item.parameters ?? []), ...(op.parameters ?? [])]) {
      if (p.in !== "path" && p.in !== "query") continue;
      properties[p.name] = { ...convert(p.schema, 1), ...(p.description ? { description: trimText(p.description, 100) } : {}) };
      if (p.required) required.push(p.name);
      (p.in === "path" ? http.pathParams : http.queryParams).push(p.name);
    }
    const body = op.requestBody?.content?.["application/json"]?.schema;
    if (body) {
      if (body.type === "object" && body.properties) {
        for (const [k, v] of Object.entries(body.properties)) {
          if (properties[k]) continue;
          properties[k] = convert(v, 1);
          http.bodyParams.push(k);
        }
        if (op.requestBody.required !== false) for (const r of body.required ?? []) if (http.bodyParams.includes(r)) required.push(r);
      } else {
        properties.body = convert(body, 1);
        http.body = "body";
        if (op.requestBody.required) required.push("body");
      }
    }
    tools.push({
      sourceId: op.operationId,
      slug: "GITHUB_" + upperSnake(op.summary),
      name: op.summary,
      description: trimText(op.description ?? op.summary, 200),
      inputParameters: { type: "object", properties, ...(required.length ? { required } : {}), additionalProperties: false },
      http,
    });
  }
}

writeCatalogue("github", {
  toolkit: "github",
  name: "GitHub",
  source: { package: PKG, version: packageVersion(PKG), document: "generated/api.github.com.deref.json", apiVersion: spec.info.version },
  tools: assignSlugs(tools),
});
