/**
 * What bench/agents needs, bundled from the workspace sources by lib/build.mjs: the @taiku/agents
 * library, its line splitter internals, and the Telegram Bot API stand-in of its tests.
 */
export * from "@taiku/agents";
export { trimAscii } from "../../../packages/agents/src/lines.ts";
export { BotApiStandIn } from "../../../packages/agents/test/helpers/bot-api.ts";
