/**
 * Error texts the integrations module adds (documented ones come from @taiku/protocol INTEGRATION_ERRORS).
 * Apart from service.ts so the routes, served (answering 503) even when integrations are off, do not
 * load the service and its OAuth, catalogue and MCP code.
 */
export const INTEGRATION_TEXT = {
  unknownToolkit: (slug: string) => `Toolkit ${slug} is not available on this server`,
  notConfigured: (slug: string) => `Toolkit ${slug} has no OAuth app configured on this server; ask your taiku admin to register one`,
  unknownTool: (slug: string, toolkit: string) => `Unknown tool ${slug} in toolkit ${toolkit}`,
  notConnected: (toolkit: string) => `No active ${toolkit} connection: connect ${toolkit} first`,
  expired: (toolkit: string) => `The ${toolkit} connection has expired: reconnect ${toolkit}`,
  connectionNotFound: "Connection not found",
  unknownState: "Unknown or already used authorization state",
  stateExpired: "The authorization took too long; start connecting again",
  adminOnly: "Only the server owner can change integrations settings",
  undecryptable: (kid: string) =>
    `Stored credentials cannot be decrypted with the configured vault key (sealed with key ${kid}); put that key back in vault.key (after the current one) or reconnect`,
} as const;
