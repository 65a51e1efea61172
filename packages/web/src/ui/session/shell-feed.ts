/**
 * One subscription per shell, shared by every view of it on the page (the shell's own tile and a
 * peek tile of it). The session client keeps a single output sink per shell, and attaching a second
 * one would replace the first; here one sink fans out to all views instead.
 *
 * A view that joins late starts from the recent output this page already decrypted (kept up to
 * `HISTORY_BYTES`), so a peek of a shell that is also on screen shows its history at once without
 * a second replay from the relay.
 */
import { joinBytes } from "@taiku/crypto";
import type { SessionClient } from "../../common/index.js";
import { outputTap } from "../../plugins/output-tap.js";

export interface FeedView {
  write(data: Uint8Array, done: () => void): void;
}

/** Enough for xterm's 5000-line scrollback of ordinary output. */
const HISTORY_BYTES = 2 * 1024 * 1024;
const GAP_NOTICE = new TextEncoder().encode("\r\n\x1b[2m… output skipped …\x1b[22m\r\n");

interface Feed {
  views: Set<FeedView>;
  /** Writes not yet rendered by every view: the views still owing each one, and its ack. */
  inflight: Set<{ waiting: Set<FeedView>; done: () => void }>;
  history: Uint8Array[];
  bytes: number;
  stop(): void;
}

const feeds = new WeakMap<SessionClient, Map<number, Feed>>();

function record(feed: Feed, data: Uint8Array): void {
  feed.history.push(data);
  feed.bytes += data.length;
  while (feed.history.length > 1 && feed.bytes - feed.history[0]!.length >= HISTORY_BYTES) feed.bytes -= feed.history.shift()!.length;
}

/** Output goes to every view; the relay is acknowledged once all of them have rendered it (flow control). */
function fanOut(feed: Feed, data: Uint8Array, done: () => void): void {
  record(feed, data);
  if (feed.views.size === 0) return done();
  const entry = { waiting: new Set(feed.views), done };
  feed.inflight.add(entry);
  for (const v of feed.views) v.write(data, () => settle(feed, entry, v));
}

function settle(feed: Feed, entry: { waiting: Set<FeedView>; done: () => void }, view: FeedView): void {
  if (!entry.waiting.delete(view) || entry.waiting.size) return;
  feed.inflight.delete(entry);
  entry.done();
}

/** Show a shell's output in `view`; returns the function that stops it (the last view unsubscribes). */
export function watchShell(client: SessionClient, shellId: number, view: FeedView): () => void {
  let byShell = feeds.get(client);
  if (!byShell) feeds.set(client, (byShell = new Map()));
  let feed = byShell.get(shellId);
  if (feed) {
    if (feed.bytes) view.write(joinBytes(feed.history), () => {});
  } else {
    const created: Feed = { views: new Set(), inflight: new Set(), history: [], bytes: 0, stop: () => {} };
    const detach = client.attachTerminal(shellId, {
      write: (data, done) => {
        outputTap.push(shellId, data);
        fanOut(created, data, done);
      },
    });
    // Frames the relay no longer had (a viewer far behind): say so in the terminal, dim, on its own line.
    const offGap = client.events.on("outputGap", (g) => g.shellId === shellId && fanOut(created, GAP_NOTICE, () => {}));
    created.stop = () => {
      offGap();
      detach();
    };
    byShell.set(shellId, (feed = created));
  }
  feed.views.add(view);
  const f = feed;
  return () => {
    if (!f.views.delete(view)) return;
    // A closed view renders nothing more: what it still owed must not hold back the acks.
    for (const entry of [...f.inflight]) settle(f, entry, view);
    if (f.views.size) return;
    f.stop();
    if (byShell.get(shellId) === f) byShell.delete(shellId);
  };
}
