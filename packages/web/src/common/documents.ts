/**
 * The session's open documents (spec §3.11): one `DocSync` per document, shared by everything in the
 * page that shows it (reference counted), connected and disconnected with the session's socket, and
 * fed the relay's `docUpdates` / `docAwareness`. The session client owns one (session-client.ts).
 */
import { DOC_ID_RE, type ServerMsg } from "@taiku/protocol";
import { DocSync, docTitle, type DocCounters, type DocSyncEvents, type DocSyncHost } from "./doc-sync.js";

export interface DocumentHubHost extends DocSyncHost {
  /** A document's title (first line) as this page last saw it. */
  title(docId: string, title: string): void;
  /** The first frame of a document that failed authentication. */
  warning(docId: string, w: DocSyncEvents["warning"]): void;
}

const BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A fresh document id: 12 base62 characters from the CSPRNG (rejection sampling, no modulo bias). */
export function newDocId(): string {
  let id = "";
  const buf = new Uint8Array(16);
  while (id.length < 12) {
    globalThis.crypto.getRandomValues(buf);
    for (const b of buf) if (b < 248 && id.length < 12) id += BASE62[b % 62];
  }
  return id;
}

interface Entry {
  sync: DocSync;
  refs: number;
}

export class DocumentHub {
  private readonly docs = new Map<string, Entry>();
  private readonly counters = new Map<string, DocCounters>();
  /** Documents being closed: a new `DocSync` of one subscribes after the old one's `docUnsubscribe`. */
  private readonly closing = new Map<string, { entry: Entry; done: Promise<void> }>();
  private conn: { userId: number; writable: boolean } | null = null;
  /** Documents `loadTitles` opened already (each is read once); set while it runs. */
  private readonly titlesTried = new Set<string>();
  private loadingTitles = false;

  constructor(private readonly host: DocumentHubHost) {}

  /** Open a document (or share the one open). Each `open` needs one `release`. */
  open(docId: string): DocSync {
    if (!DOC_ID_RE.test(docId)) throw new Error(`invalid document id: ${docId}`);
    const found = this.docs.get(docId);
    if (found) {
      found.refs++;
      return found.sync;
    }
    let counters = this.counters.get(docId);
    if (!counters) this.counters.set(docId, (counters = { update: 0, awareness: 0 }));
    const sync = new DocSync(docId, this.host, counters);
    sync.events.on("title", (t) => this.host.title(docId, t));
    sync.events.on("warning", (w) => this.host.warning(docId, w));
    const entry: Entry = { sync, refs: 1 };
    this.docs.set(docId, entry);
    this.connectWhenFree(entry);
    return sync;
  }

  /**
   * Give up one reference. The last one closes the document once its edits are sent and confirmed
   * (closing a tile right after typing loses nothing), then unsubscribes.
   */
  release(docId: string): void {
    const entry = this.docs.get(docId);
    if (!entry || --entry.refs > 0) return;
    const done = entry.sync.whenSettled().then(async () => {
      if (entry.refs > 0 || this.docs.get(docId) !== entry) return;
      this.docs.delete(docId);
      await entry.sync.close();
      if (this.conn) this.host.send({ t: "docUnsubscribe", docId });
    });
    const tracked = { entry, done: done.finally(() => {
      if (this.closing.get(docId) === tracked) this.closing.delete(docId);
    }) };
    this.closing.set(docId, tracked);
  }

  /** A new document whose first line is `# {title}`; kept open until the relay has it. */
  create(title: string, reader = false): string {
    if (reader) throw new Error("read-only link: documents cannot be created");
    const docId = newDocId();
    this.open(docId).text.insert(0, `# ${title}\n\n`);
    this.release(docId);
    this.host.title(docId, title);
    return docId;
  }

  /** The open documents (tests, diagnostics). */
  get(docId: string): DocSync | undefined {
    return this.docs.get(docId)?.sync;
  }

  /**
   * The client is closing for good: every open document closes now (its cursor removal still goes out,
   * its Yjs state and awareness timer are freed). Edits not yet confirmed are not waited for.
   */
  closeAll(): void {
    for (const { sync } of this.docs.values()) void sync.close();
    this.docs.clear();
  }

  /** The socket is authenticated with its initial state: subscribe every open document. */
  connected(userId: number, writable: boolean): void {
    this.conn = { userId, writable };
    for (const entry of this.docs.values()) this.connectWhenFree(entry);
  }

  disconnected(): void {
    this.conn = null;
    for (const { sync } of this.docs.values()) sync.disconnect();
  }

  handle(msg: ServerMsg<"docUpdates"> | ServerMsg<"docAwareness">): Promise<void> {
    const sync = this.docs.get(msg.docId)?.sync;
    if (!sync) return Promise.resolve(); // a document we stopped showing: its last live frames
    return msg.t === "docUpdates" ? sync.receive(msg) : sync.receiveAwareness(msg);
  }

  /** The links were rotated: each open document posts its state under the new key once reconnected. */
  rotated(): void {
    for (const { sync } of this.docs.values()) sync.resealAfterRotation();
  }

  /** A participant left: their cursors go from every document. */
  userLeft(userId: number): void {
    for (const { sync } of this.docs.values()) void sync.userLeft(userId);
  }

  /**
   * Learn the titles of documents this page has not opened: each is opened (no cursor shown), read
   * once its replay is applied, and closed again. One at a time; `timeoutMs` bounds each.
   */
  async loadTitles(docIds: readonly string[], known: (docId: string) => boolean, timeoutMs = 5000): Promise<void> {
    if (this.loadingTitles) return;
    this.loadingTitles = true;
    try {
      for (const docId of docIds) await this.loadTitle(docId, known, timeoutMs);
    } finally {
      this.loadingTitles = false;
    }
  }

  private async loadTitle(docId: string, known: (docId: string) => boolean, timeoutMs: number): Promise<void> {
    if (known(docId) || this.docs.has(docId) || !DOC_ID_RE.test(docId) || !this.conn || this.titlesTried.has(docId)) return;
    this.titlesTried.add(docId);
    const sync = this.open(docId);
    await new Promise<void>((resolve) => {
      const finish = () => {
        off();
        this.host.clock.clearTimeout(timer);
        resolve();
      };
      const off = sync.events.on("synced", finish);
      const timer = this.host.clock.setTimeout(finish, timeoutMs);
    });
    if (sync.lastSeq >= 0) this.host.title(docId, docTitle(sync.text.toString()));
    this.release(docId);
  }

  private connectWhenFree(entry: Entry): void {
    const conn = this.conn;
    if (!conn) return;
    // A document released and opened again before it closed is the same entry: it connects at once.
    const pending = this.closing.get(entry.sync.docId);
    if (!pending || pending.entry === entry) return entry.sync.connect(conn.userId, conn.writable);
    void pending.done.then(() => {
      if (this.conn === conn && this.docs.get(entry.sync.docId) === entry) entry.sync.connect(conn.userId, conn.writable);
    });
  }
}
