/**
 * @taiku/plugin-sdk — typed client for the taiku plugin bridge (spec taiku-platform.md §16).
 *
 *   const taiku = new TaikuPlugin({ timeout: 15_000 });
 *   await taiku.ready();
 *   const session = await taiku.getSession();
 *   taiku.on("shell:data", (e) => refresh(e.data.shellId));
 */
export { TaikuPlugin, type ToastKind } from "./plugin.js";
export { BridgeClient, DEFAULT_TIMEOUT_MS, type CallOptions, type EventHandler, type MessageSource, type MessageTarget, type TaikuPluginOptions } from "./client.js";
export { TaikuBridgeError, TaikuTimeoutError } from "./errors.js";
export type {
  BridgeEvent,
  BridgeMethod,
  BridgeMethodParamsInput,
  BridgeMethodResult,
  BridgeResultMap,
  PluginEventData,
  PluginEventType,
  PluginPermission,
} from "@taiku/protocol";
