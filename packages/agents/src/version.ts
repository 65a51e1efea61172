/** Version of the plugin API that engine, transport and command plugins target (takopi: TAKOPI_PLUGIN_API_VERSION). */
export const PLUGIN_API_VERSION = 1 as const;
/** Alias kept so code ported from takopi plugins reads the same. */
export const TAKOPI_PLUGIN_API_VERSION = PLUGIN_API_VERSION;
