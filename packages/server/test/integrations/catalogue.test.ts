/** The committed catalogues: naming rule, collision rule, schemas that compile, search. */
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { CatalogueStore, defaultCatalogueDir, searchTools } from "../../src/integrations/toolkits/catalogue.js";
import { FEATURED_TOOLS } from "../../src/integrations/toolkits/featured.js";
// @ts-expect-error plain ESM script without types
import { assignSlugs, upperSnake } from "../../scripts/catalogue-lib.mjs";

const store = new CatalogueStore(defaultCatalogueDir());

describe("generated catalogues", () => {
  it("name tools by the stated rule and resolve collisions deterministically", () => {
    expect(upperSnake("Create an issue")).toBe("CREATE_AN_ISSUE");
    expect(upperSnake("chat.postMessage")).toBe("CHAT_POST_MESSAGE");
    expect(upperSnake("Get a repository's README (beta)")).toBe("GET_A_REPOSITORY_S_README_BETA");
    const tools = assignSlugs([
      { sourceId: "repos/b", slug: "GITHUB_X" },
      { sourceId: "repos/a", slug: "GITHUB_X" },
      { sourceId: "repos/c", slug: "GITHUB_Y" },
    ]);
    expect(tools.map((t: { slug: string }) => t.slug)).toEqual(["GITHUB_X", "GITHUB_X_REPOS_B", "GITHUB_Y"]);
  });

  for (const [toolkit, prefix, min] of [
    ["github", "GITHUB_", 1000],
    ["slack", "SLACK_", 100],
    ["linear", "LINEAR_", 300],
    ["gmail", "GMAIL_", 40],
  ] as const) {
    it(`${toolkit}: unique upper-snake slugs, JSON Schema inputs that compile, a pinned source`, () => {
      const cat = store.get(toolkit)!.catalogue;
      expect(cat.tools.length).toBeGreaterThan(min);
      expect(cat.source.version).toMatch(/^\d+\.\d+\.\d+/);
      const slugs = cat.tools.map((t) => t.slug);
      expect(new Set(slugs).size).toBe(slugs.length);
      for (const s of slugs) expect(s).toMatch(new RegExp(`^${prefix}[A-Z0-9_]+$`));
      const ajv = new Ajv({ strict: false, validateFormats: false });
      for (const t of cat.tools) {
        expect(t.inputParameters.type).toBe("object");
        expect(() => ajv.compile(t.inputParameters)).not.toThrow();
        expect(t.name.length).toBeGreaterThan(0);
        expect(t.http ?? t.method ?? t.graphql).toBeDefined();
      }
    });
  }

  it("GitHub: summary-derived slugs, and colliding summaries carry their operationId", () => {
    const gh = store.get("github")!;
    expect(gh.bySlug.get("GITHUB_CREATE_AN_ISSUE")).toMatchObject({ name: "Create an issue", http: { method: "POST", path: "/repos/{owner}/{repo}/issues" } });
    const suffixed = gh.catalogue.tools.filter((t) => t.slug !== "GITHUB_" + upperSnake(t.name));
    expect(suffixed.length).toBeGreaterThan(0);
    for (const t of suffixed) expect(gh.bySlug.has("GITHUB_" + upperSnake(t.name))).toBe(true);
  });

  it("search matches slug, name and description, case-insensitively, every word", () => {
    const tools = store.get("github")!.catalogue.tools;
    const hits = searchTools(tools, "Create AN issue", 100);
    expect(hits[0]!.slug.startsWith("GITHUB_CREATE")).toBe(true);
    expect(hits.map((t) => t.slug)).toContain("GITHUB_CREATE_AN_ISSUE");
    expect(searchTools(tools, "GITHUB_CREATE_AN_ISSUE", 5).map((t) => t.slug)).toContain("GITHUB_CREATE_AN_ISSUE");
    expect(searchTools(tools, "", 7)).toHaveLength(7);
  });
});

describe("featured tools", () => {
  it("every featured slug exists in its catalogue, and an unfiltered listing starts with them", () => {
    const store = new CatalogueStore(defaultCatalogueDir());
    for (const [toolkit, slugs] of Object.entries(FEATURED_TOOLS)) {
      const entry = store.get(toolkit)!;
      for (const slug of slugs) expect(entry.bySlug.has(slug), `${toolkit}: ${slug}`).toBe(true);
      expect(searchTools(entry.catalogue.tools, undefined, 50).slice(0, slugs.length).map((t) => t.slug)).toEqual([...slugs]);
    }
    // seed 000's demo lists 50 tools and offers them in a dropdown: the everyday GitHub tool is there.
    expect(searchTools(store.get("github")!.catalogue.tools, undefined, 50).map((t) => t.slug)).toContain("GITHUB_CREATE_AN_ISSUE");
  });
});
