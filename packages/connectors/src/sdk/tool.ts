/** `Tool<TSelf>` (§2.3): custom reusable tools with their own Store namespace, callbacks and tasks. */
import { ToolAccess, type BuiltinTools, type InferTools } from "./tool-access.js";
import type { ITool, ToolBuilder, ToolShedLike } from "./tool-shed.js";

export type InferOptions<T> = T extends { constructor: { Options: infer O } } ? O : unknown;

/** Convenience methods and the tool shed come from `ToolAccess`, shared with `Twist`; `list` is Tool's own. */
export abstract class Tool<TSelf> extends ToolAccess<TSelf> implements ITool {
  constructor(protected id: string, protected options: InferOptions<TSelf>, toolShed: ToolShedLike) {
    super(toolShed);
  }
  protected override get tools(): InferTools<TSelf> & BuiltinTools {
    return super.tools;
  }
  build(_build: ToolBuilder): Record<string, Promise<unknown>> {
    return {};
  }
  protected list(prefix: string): Promise<string[]> {
    return this.tools.store.list(prefix);
  }
  async preActivate(_context?: unknown): Promise<void> {}
  async postActivate(_context?: unknown): Promise<void> {}
  async preUpgrade(): Promise<void> {}
  async postUpgrade(): Promise<void> {}
  async preDeactivate(): Promise<void> {}
  async postDeactivate(): Promise<void> {}
}
