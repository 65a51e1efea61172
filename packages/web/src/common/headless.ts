/**
 * Conveniences for using the session client as a headless viewer (Node benchmarks, e2e tests):
 * display every shell as it appears and collect its plaintext.
 */

import type { SessionClient } from "./session-client.js";
import type { OutputSink } from "./shell-stream.js";

/**
 * Attach a sink to every current and future shell; `onData` sees each shell's plaintext in order.
 * The sink confirms immediately, so acks flow as fast as data arrives. Returns a stop function.
 */
export function watchAllShells(client: SessionClient, onData: (shellId: number, data: Uint8Array) => void): () => void {
  const detach = new Map<number, () => void>();
  const sync = () => {
    const live = new Set(client.state.shells.map((s) => s.id));
    for (const id of live) {
      if (detach.has(id)) continue;
      const sink: OutputSink = { write: (data, done) => { onData(id, data); done(); } };
      detach.set(id, client.attachTerminal(id, sink));
    }
    for (const [id, stop] of detach) if (!live.has(id)) { stop(); detach.delete(id); }
  };
  sync();
  const off = client.events.on("state", sync);
  return () => {
    off();
    for (const stop of detach.values()) stop();
    detach.clear();
  };
}

/** Keeps the decoded text of each shell (streaming UTF-8 decode, so split characters survive). */
export class TranscriptCollector {
  private readonly text = new Map<number, string>();
  private readonly decoders = new Map<number, TextDecoder>();
  readonly stop: () => void;

  constructor(client: SessionClient) {
    this.stop = watchAllShells(client, (id, data) => {
      let d = this.decoders.get(id);
      if (!d) this.decoders.set(id, (d = new TextDecoder()));
      this.text.set(id, (this.text.get(id) ?? "") + d.decode(data, { stream: true }));
    });
  }

  output(shellId: number): string {
    return this.text.get(shellId) ?? "";
  }
}


