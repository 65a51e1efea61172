/** @taiku/plugin-sdk/testing — test plugins without a running taiku session (spec §16.4). */
export { MockHost, type MockHostOptions, type MockWindow, type RecordedRequest } from "./mock-host.js";
export { DEFAULT_FIXTURES, MockError, type Fixtures, type MockState } from "./fixtures.js";
export { createTestWindow, type TestWindow } from "./test-window.js";
