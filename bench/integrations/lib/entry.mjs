/**
 * What bench/integrations needs, bundled from the workspace sources by lib/build.mjs: the test
 * scaffolding of packages/server/test/integrations (harness: startTaiku, connect, execute…; the
 * real oidc-provider authorization server; the GitHub stand-in) and the catalogue search.
 */
export { asApp, CALLBACK, connect, connections, execute, startTaiku } from "../../../packages/server/test/integrations/harness.ts";
export { authorize, startAs } from "../../../packages/server/test/integrations/standins/oauth-server.ts";
export { startGithub } from "../../../packages/server/test/integrations/standins/github.ts";
export { CatalogueStore, searchTools, toPublic } from "../../../packages/server/src/integrations/toolkits/catalogue.ts";
