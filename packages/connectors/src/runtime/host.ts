/**
 * What the runtime's parts (tools, queue, webhooks, channels, write-back) see of the `Runtime`: its
 * config, storage and collaborators, and the few operations they call back into. `Runtime` builds one
 * host in its constructor; the parts never import `Runtime` itself.
 */
import type { Twist } from "../sdk/twist.js";
import type { RuntimeConfig, TokenProvider, TwistClass, UserDirectory } from "./config.js";
import { encode } from "../sdk/serialize.js";
import type { ExecutionContext } from "./execution.js";
import type { Inbox } from "./inbox.js";
import type { ConnectorStorage } from "./storage.js";

export interface RuntimeHost {
  readonly config: RuntimeConfig;
  readonly storage: ConnectorStorage;
  readonly inbox: Inbox;
  readonly tokens: TokenProvider;
  readonly users: UserDirectory;
  now(): number;
  /** New work was queued. */
  wake(): void;
  /** The registered class, or undefined. */
  registered(twistId: string): TwistClass | undefined;
  twistClass(twistId: string): TwistClass;
  metadata(twistId: string): Readonly<Record<string, unknown>>;
  execute<T>(instanceId: string, label: string, trigger: string, body: (ctx: ExecutionContext, twist: Twist<unknown>) => Promise<T>): Promise<T>;
  call<T = unknown>(instanceId: string, method: string, args: unknown[], trigger?: string): Promise<T>;
}

/** Queues a lifecycle method (activate, onChannelEnabled, upgrade, …) as its own task. */
export function enqueueLifecycle(host: RuntimeHost, instanceId: string, method: string, args: unknown[], maxAttempts = host.config.maxAttempts): Promise<string> {
  const id = host.storage.taskInsert({ instanceId, toolPath: "", kind: "lifecycle", runAt: host.now(), methodName: method, args: encode(args, "lifecycle arguments"), maxAttempts });
  host.wake();
  return id;
}
