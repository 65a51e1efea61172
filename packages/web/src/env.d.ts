/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { SessionClient } from "./common/index.js";

declare global {
  interface Window {
    /** Test hook: the page's session client and a reader for a terminal's text. */
    __taiku?: { client: SessionClient; getTerminalText(shellId: number, view?: "shell" | "peek"): string; plugins?: import("./plugins/ui/runtime.svelte.js").PluginRuntime };
  }
}
export {};
