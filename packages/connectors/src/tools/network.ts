import type { AuthProvider, Authorization, Serializable, WebhookRequest } from "../sdk/types.js";
import { ITool } from "../sdk/tool-shed.js";

export interface CreateWebhookOptions {
  provider?: AuthProvider;
  authorization?: Authorization;
  pubsub?: "gmail" | "workspace";
  /** Default true: answer `200 {"queued":true}` at once and run the callback from the queue. */
  async?: boolean;
}

/** Outbound allowlist (`build(Network, { urls })`) and inbound webhooks (§3.4). */
export abstract class Network extends ITool {
  static readonly toolId = "Network";
  static readonly Options: { urls: string[] } = { urls: [] };
  abstract createWebhook(
    options: CreateWebhookOptions,
     
    callback: (request: WebhookRequest, ...extra: any[]) => any,
    ...extraArgs: Serializable[]
  ): Promise<string>;
  abstract deleteWebhook(idOrUrl: string): Promise<void>;
}
export type NetworkOptions = { urls: string[] };
