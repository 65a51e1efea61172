/**
 * Session snapshots (§1.5): CBOR of everything needed to bring a session back after a restart —
 * metadata, owner account, CLI token hash, verifiers, shells with rings (ciphertext only), chat,
 * session KV, plugin set and documents (frame buffers with their seqs). Restored sessions start
 * CLI-disconnected with a fresh grace window.
 */
import { z } from "zod";
import { decodeCbor, encodeCbor } from "@taiku/protocol";
import type { ChatEntry } from "./chat.js";
import type { RelayContext } from "./context.js";
import { SessionKv } from "./kv.js";
import { Doc, DOC_RESTORE_SEQ_GAP } from "./docs.js";
import { FrameRing } from "./ring.js";
import { Session } from "./session.js";

const SNAPSHOT_VERSION = 1;

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array);
const frame = z.object({ n: bytes, c: bytes });
const ring = z.object({ next: z.number().int().nonnegative(), frames: z.array(frame.extend({ seq: z.number().int().nonnegative() })) });
const doc = z.object({
  docId: z.string(),
  createdBy: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  next: z.number().int().positive(),
  frames: z.array(frame.extend({ seq: z.number().int().positive(), userId: z.number().int().nonnegative(), counter: z.number().int().nonnegative(), snapshot: z.literal(true).optional() })),
});
const snapshotSchema = z.object({
  v: z.literal(SNAPSHOT_VERSION),
  id: z.string(),
  createdAt: z.number(),
  name: z.string().nullable(),
  cwdLabel: z.string().nullable(),
  ownerAccountId: z.string().nullable(),
  ownerName: z.string().nullable(),
  tokenHash: bytes,
  verifiers: z.object({ view: bytes, write: bytes, admin: bytes }),
  readersEnabled: z.boolean(),
  viewerAuth: z.boolean(),
  plugins: z.record(z.string(), z.object({ manifest_url: z.string(), enabled: z.boolean() })),
  nextUserId: z.number().int().positive(),
  nextServerRequestId: z.number().int().positive(),
  shells: z.array(z.object({
    id: z.number().int().positive(),
    rows: z.number(),
    cols: z.number(),
    name: z.string().nullable(),
    creatorUserId: z.number().nullable(),
    ownerTokenHash: bytes.nullable(),
    ownerUserId: z.number().nullable(),
    ownerName: z.string().nullable(),
    awaitingAdmin: z.boolean(),
    out: ring,
    agent: ring,
    title: z.object({ version: z.number(), frame }).nullable(),
  })),
  chat: z.object({
    nextId: z.number().int().positive(),
    entries: z.array(z.object({
      id: z.number(), userId: z.number(), name: z.string(), role: z.enum(["reader", "writer", "admin", "host"]),
      message: z.string(), ts: z.number(), editedAt: z.number().optional(),
    })),
  }),
  kv: z.record(z.string(), z.object({ entries: z.record(z.string(), z.unknown()), rev: z.number() })),
  /** Published tunnel ports; optional so snapshots from before tunnels still load. */
  tunnelPorts: z.array(z.number().int().min(1).max(65535)).max(32).optional(),
  /** Documents (§3.11); optional so snapshots from before documents still load. */
  docs: z.array(doc).optional(),
});
type Snapshot = z.infer<typeof snapshotSchema>;

export function encodeSnapshot(s: Session): Uint8Array {
  const snap: Snapshot = {
    v: SNAPSHOT_VERSION,
    id: s.id, createdAt: s.createdAt, name: s.name, cwdLabel: s.cwdLabel,
    ownerAccountId: s.ownerAccountId, ownerName: s.ownerName, tokenHash: s.tokenHash,
    verifiers: s.verifiers, readersEnabled: s.readersEnabled, viewerAuth: s.viewerAuth, plugins: s.plugins,
    nextUserId: s.nextUserId, nextServerRequestId: s.nextServerRequestId,
    shells: [...s.shells.values()].map((sh) => ({
      id: sh.id, rows: sh.rows, cols: sh.cols, name: sh.name, creatorUserId: sh.creatorUserId,
      ownerTokenHash: sh.ownerTokenHash, ownerUserId: sh.ownerUserId, ownerName: sh.ownerName, awaitingAdmin: sh.awaitingAdmin,
      out: { next: sh.output.nextSeq, frames: sh.output.all() },
      agent: { next: sh.agent.nextSeq, frames: sh.agent.all() },
      title: sh.title,
    })),
    chat: { nextId: s.chat.nextId, entries: s.chat.entries },
    kv: s.kv.toJSON(),
    tunnelPorts: [...s.tunnels.ports],
    docs: [...s.docs.docs.values()].map((d) => ({ docId: d.id, ...d.meta, next: d.nextSeq, frames: d.all() })),
  };
  return encodeCbor(snap);
}

/** How far user and chat ids jump on restore: more than any session hands out between two snapshots. */
export const RESTORE_ID_GAP = 1 << 16;

/** Rebuild a session from a snapshot; throws when the bytes are not a valid snapshot. */
export function decodeSnapshot(ctx: RelayContext, bytes: Uint8Array): Session {
  const snap = snapshotSchema.parse(decodeCbor(bytes));
  const { limits } = ctx.deps;
  const s = new Session(ctx, {
    id: snap.id, createdAt: snap.createdAt, name: snap.name, cwdLabel: snap.cwdLabel,
    ownerAccountId: snap.ownerAccountId, ownerName: snap.ownerName, tokenHash: snap.tokenHash,
    verifiers: snap.verifiers, readersEnabled: snap.readersEnabled, viewerAuth: snap.viewerAuth, plugins: snap.plugins,
    ...(snap.tunnelPorts ? { tunnelPorts: snap.tunnelPorts } : {}),
  });
  // After a crash the snapshot may be up to one interval old: ids handed out since then live on in pages
  // (their own userId, chat ids) and in the CLI (input counters per userId), so continue past a gap.
  s.nextUserId = snap.nextUserId + RESTORE_ID_GAP;
  s.nextServerRequestId = snap.nextServerRequestId;
  for (const sh of snap.shells) {
    const shell = s.newShell(sh.id, sh.rows, sh.cols);
    Object.assign(shell, {
      name: sh.name, creatorUserId: sh.creatorUserId, ownerTokenHash: sh.ownerTokenHash, ownerUserId: sh.ownerUserId,
      ownerName: sh.ownerName, awaitingAdmin: sh.awaitingAdmin, title: sh.title,
      output: FrameRing.restore(limits.shellRingBytes, sh.out.next, sh.out.frames),
      agent: FrameRing.restore(limits.shellRingBytes, sh.agent.next, sh.agent.frames),
    });
  }
  s.chat.nextId = snap.chat.nextId + RESTORE_ID_GAP;
  s.chat.entries = snap.chat.entries.slice(-limits.chatRing) as ChatEntry[];
  s.kv = SessionKv.restore(limits.sessionKvBytes, snap.kv);
  for (const d of snap.docs ?? []) {
    const meta = { createdBy: d.createdBy, createdAt: d.createdAt, updatedAt: d.updatedAt };
    s.docs.docs.set(d.docId, Doc.restore(d.docId, meta, limits.docBufferBytes, d.next + DOC_RESTORE_SEQ_GAP, d.frames));
  }
  return s;
}
