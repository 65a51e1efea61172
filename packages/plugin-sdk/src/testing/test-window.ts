/**
 * A stand-in for a top-level browser window, for plugin tests that run in Node without jsdom.
 * Like a real top-level window, `parent === window`, and `postMessage` delivers a structured clone
 * asynchronously with `event.source` set to the window — so the SDK's source check and MockHost work
 * unchanged (spec §16.4 "Environment").
 */
export interface TestWindow {
  readonly parent: TestWindow;
  postMessage(message: unknown, targetOrigin?: string): void;
  addEventListener(type: "message", listener: (e: MessageEvent) => void): void;
  removeEventListener(type: "message", listener: (e: MessageEvent) => void): void;
}

export function createTestWindow(): TestWindow {
  const target = new EventTarget();
  const win: TestWindow = {
    get parent() {
      return win;
    },
    postMessage(message) {
      // structuredClone throws synchronously on uncloneable values, as postMessage does.
      const data = structuredClone(message);
      setTimeout(() => {
        const event = new Event("message");
        Object.defineProperties(event, { data: { value: data }, source: { value: win }, origin: { value: "null" } });
        target.dispatchEvent(event);
      }, 0);
    },
    addEventListener: (type, listener) => target.addEventListener(type, listener as EventListener),
    removeEventListener: (type, listener) => target.removeEventListener(type, listener as EventListener),
  };
  return win;
}
