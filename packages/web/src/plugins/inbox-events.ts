/**
 * The server's inbox event stream (`GET /api/v1/inbox/events`, server-sent events) → plugin events
 * `inbox.thread_updated` / `inbox.note_added` (gated by `inbox.read` in the bridge's `emit`). One stream
 * per page, opened only while some enabled plugin holds `inbox.read` and the page is signed in.
 */
import { INBOX_SSE_EVENTS } from "@taiku/protocol";
import type { RegisteredPlugin } from "./types.js";

/** The part of `EventSource` used here (a fake in tests). */
export interface EventSourceLike {
  addEventListener(type: string, fn: (e: { data: string }) => void): void;
  close(): void;
}

export interface InboxEventsDeps {
  open(url: string): EventSourceLike;
  emit(type: string, data: Record<string, unknown>): void;
}

export const INBOX_EVENTS_PATH = "/api/v1/inbox/events";

export class InboxEventStream {
  private source: EventSourceLike | null = null;

  constructor(private readonly deps: InboxEventsDeps) {}

  get open(): boolean {
    return this.source !== null;
  }

  /** Open or close the stream to match the plugins and the account. */
  update(plugins: Iterable<RegisteredPlugin>, signedIn: boolean): void {
    const wanted = signedIn && [...plugins].some((p) => p.enabled && p.grantedPermissions.includes("inbox.read"));
    if (wanted && !this.source) this.start();
    else if (!wanted) this.stop();
  }

  stop(): void {
    this.source?.close();
    this.source = null;
  }

  private start(): void {
    const src = this.deps.open(INBOX_EVENTS_PATH);
    this.source = src;
    for (const [sse, type] of Object.entries(INBOX_SSE_EVENTS)) {
      src.addEventListener(sse, (e) => {
        let data: unknown;
        try {
          data = JSON.parse(e.data);
        } catch {
          return;
        }
        if (data && typeof data === "object" && typeof (data as { threadId?: unknown }).threadId === "string") this.deps.emit(type, data as Record<string, unknown>);
      });
    }
  }
}
