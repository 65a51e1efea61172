/** Error texts of the plugin routes. The documented ones (§11.4) come from @taiku/protocol ERRORS. */
export const PLUGIN_TEXT = {
  /** §9.4 [I]. */
  userKvQuota: "User KV quota exceeded.",
  /** §11.3.6 [I]. */
  fileNotFound: "File not found.",
  invalidPluginId: "invalid plugin id",
  invalidKey: (max: number) => `invalid key: must be 1-${max} characters`,
  valueRequired: "invalid request body: value: required",
  pluginNotFound: "Plugin not found.",
  manifestUrlScheme: "manifestUrl must be an http(s) URL",
  fetchFailed: (why: string) => `could not fetch the manifest: ${why}`,
  builtInId: (id: string) => `Plugin ${id} is built in; enable it instead of installing it`,
} as const;
