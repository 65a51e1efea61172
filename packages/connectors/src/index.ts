/**
 * @taiku/connectors — the Twist/Connector SDK of seed 003 (spec/connectors.md §2–§4) and the
 * runtime behind it (§7): store, tasks, callbacks, webhooks, the inbox data plane.
 */
export * from "./sdk/types.js";
export * from "./sdk/errors.js";
export { encode, decode, assertSerializable, MAX_KEY_BYTES, MAX_VALUE_BYTES } from "./sdk/serialize.js";
export { ITool, type ToolBuilder, type ToolShed, type ToolShedLike, type ToolClass } from "./sdk/tool-shed.js";
export { Twist, type InferTools, type BuiltinTools } from "./sdk/twist.js";
export { Connector, Source, isConnectorClass } from "./sdk/connector.js";
export { Tool, type InferOptions } from "./sdk/tool.js";
export {
  DEFAULT_DRAIN_BATCH_SIZE, DEFAULT_DRAIN_DELAY_MS, DEFAULT_DRAIN_MAX_ATTEMPTS,
  type DrainHandler, type DrainOptions, type DrainResult,
} from "./sdk/drain.js";
export { Callbacks } from "./tools/callbacks.js";
export { Store } from "./tools/store.js";
export { Tasks } from "./tools/tasks.js";
export { Network, type CreateWebhookOptions, type NetworkOptions } from "./tools/network.js";
export { Integrations } from "./tools/integrations.js";
export { Files } from "./tools/files.js";
export { Options, resolveOptions, type OptionDef, type OptionsSchema, type ResolvedOptions } from "./tools/options.js";
export { Uuid, quickHash, uuidv7, randomToken, ManualClock, systemClock, type Clock } from "./runtime/ids.js";
export { createConnectorSchema, type ConnectorTables } from "./runtime/schema.js";
export { KyselyConnectorStorage, type ConnectorStorage, type TaskRow, type InstanceRow, type ChannelRow } from "./runtime/storage.js";
export { Inbox, contentHash, htmlToMarkdown, type InboxEvent, type ThreadSummary, type NoteView, type SaveContext } from "./runtime/inbox.js";
export { urlAllowed, rewriteUrl, isLocalUrl } from "./runtime/egress.js";
export { Runtime, reactionAllowed, DEFAULT_RUNTIME_CONFIG, type RuntimeConfig, type TokenProvider, type UserDirectory, type TwistClass, type ExecutionRecord } from "./runtime/runtime.js";
export { GitHub, buildGithubLink } from "./connectors/github.js";
export { Linear, buildLinearLink } from "./connectors/linear.js";
export { verifyHmac } from "./connectors/util.js";
