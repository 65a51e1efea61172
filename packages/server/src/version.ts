/**
 * Server version reported by /healthz and to the CLI. A constant rather than a package.json read,
 * because the CLI bundles the server into one file; a test keeps it equal to package.json.
 */
export const SERVER_VERSION = "0.1.0";
