/** Per-shell state kept by the relay (§3.1 item 4): size, names, ownership, focus lock, rings. */
import { createHash } from "node:crypto";
import type { Frame } from "@taiku/protocol";
import { randomBytes, timingSafeEqual } from "@taiku/crypto";
import { FrameRing } from "./ring.js";
import type { Subscription } from "./flow.js";
import type { Peer } from "./peer.js";

export interface Shell {
  id: number;
  rows: number;
  cols: number;
  name: string | null;
  creatorUserId: number | null;
  /** SHA-256 of the current ownership token (§3.6); null = unowned. */
  ownerTokenHash: Uint8Array | null;
  /** userId last bound to the token (stays after that user leaves, for display). */
  ownerUserId: number | null;
  ownerName: string | null;
  /** Created by the CLI itself: the first admin who connects becomes its owner. */
  awaitingAdmin: boolean;
  output: FrameRing;
  agent: FrameRing;
  title: { version: number; frame: Frame } | null;
  lock: { userId: number; expiresAt: number } | null;
  viewers: Map<Peer, Subscription>;
  /** Last `flow` state sent to the CLI. */
  paused: boolean;
}

export function newShell(id: number, rows: number, cols: number, ringBytes: number): Shell {
  return {
    id, rows, cols, name: null, creatorUserId: null,
    ownerTokenHash: null, ownerUserId: null, ownerName: null, awaitingAdmin: false,
    output: new FrameRing(ringBytes), agent: new FrameRing(ringBytes), title: null,
    lock: null, viewers: new Map(), paused: false,
  };
}

export const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(b).digest());

/** Bind the shell to a fresh token for `peer`; returns the token to send only to that peer. */
export function issueOwnership(shell: Shell, peer: Peer): Uint8Array {
  const token = randomBytes(32);
  shell.ownerTokenHash = sha256(token);
  shell.ownerUserId = peer.userId;
  shell.ownerName = peer.name;
  shell.awaitingAdmin = false;
  return token;
}

export function tokenMatches(shell: Shell, token: Uint8Array): boolean {
  return shell.ownerTokenHash !== null && timingSafeEqual(sha256(token), shell.ownerTokenHash);
}

/** The connected owner: the token's current holder, if that connection is still live and authed. */
export function isOwner(shell: Shell, peer: Peer): boolean {
  return shell.ownerTokenHash !== null && shell.ownerUserId === peer.userId;
}
