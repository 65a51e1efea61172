/**
 * Error texts a host puts in `taiku:response.error` (spec §6.3, §7, §11.4, §12.3, §12.8). Plugins match on
 * some of these (e.g. "write auth required"), so they are exact and shared by every host and by MockHost.
 */

/** Prefix of every params-validation error (§6.3 step 1, §7): `Invalid params` or `Invalid params: <detail>`. */
export const INVALID_PARAMS = "Invalid params";

/**
 * Text for a method in the catalogue that this server/host does not implement yet (or at all, e.g. a
 * host without a CLI filesystem). It differs from `Unknown method: …` — which means the name is not part of
 * the platform — so that a plugin can degrade gracefully: test `isNotSupportedError(err.message)`.
 */
export const NOT_SUPPORTED_SUFFIX = "is not supported by this server";
export const notSupportedError = (method: string) => `${method} ${NOT_SUPPORTED_SUFFIX}`;
export const isNotSupportedError = (message: string) => message.endsWith(` ${NOT_SUPPORTED_SUFFIX}`);

export const BRIDGE_ERRORS = {
  invalidParams: (detail?: string) => (detail ? `${INVALID_PARAMS}: ${detail}` : INVALID_PARAMS),
  unknownMethod: (method: string) => `Unknown method: ${method}`,
  notSupported: notSupportedError,
  tooManyPending: "Too many pending requests",
  /** A request sent before `taiku:init` (empty pluginId and token) that the host cannot run as the frame's. */
  notInitialised: "Bridge not ready: wait for taiku:init before sending requests",
  writeAuthRequired: "write auth required",
  adminAuthRequired: "admin auth required",
  shellNotFound: (shellId: number | string) => `Shell not found: ${shellId}`,
  focusLocked: (userName: string) => `Shell is focus-locked by ${userName}`,
  notShellOwner: "Not the shell owner",
  cliNotConnected: "CLI not connected",
  cliDidNotRespond: "CLI did not respond",
  notSignedIn: "Not signed in",
  /** User KV without an account (§7.10, documented text). */
  noAuthenticatedUser: "No authenticated user or invalid user ID.",
  sessionKvQuota: "Session KV quota exceeded (64 KiB per plugin per session)",
  userKvQuota: "User KV quota exceeded.",
  invalidFilename: "Invalid filename.",
  fileQuota: "File size or user quota exceeded.",
  /** Plugin file storage: reading or deleting a name that is not stored (§11.3.6). */
  fileNotFound: "File not found.",
} as const;

/** Integrations failures, in the order the host checks them (§12.3, §12.8). */
export const INTEGRATION_ERRORS = {
  toolkitRequired: "Invalid params: toolkit is required",
  invalidToolkitSlug: "Invalid params: invalid toolkit slug",
  actionRequired: "Invalid params: action is required",
  argumentsNotObject: "Invalid params: arguments must be an object",
  callbackNotAllowed: "Invalid params: callbackUrl not allowed",
  notDeclared: (slug: string) => `Toolkit "${slug}" is not declared in manifest.integrations`,
  notSignedIn: "Not signed in",
  notEnabled: "Integrations are not enabled on this server",
  /** Load-time rejection (§4.9 rule 5). */
  missingToolkitList: (pluginId: string) =>
    `Plugin ${pluginId} rejected: integrations.connect/integrations.execute require a non-empty "integrations" list`,
  /** Server-side texts (§11.3.10). */
  serverInvalidSlug: "Invalid toolkit slug",
  serverNotDeclared: (slug: string, pluginId: string) => `Toolkit ${slug} is not declared by plugin ${pluginId}`,
} as const;
