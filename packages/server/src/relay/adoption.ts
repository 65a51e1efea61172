/**
 * Shell adoption (§3.7): unowned shells and admins adopt immediately with a new token; a writer asks
 * the owner, who approves or denies; an offline or silent owner means `expired`. Requests carry a
 * server-unique id towards the owner that maps back to the requester's own requestId.
 */
import type { Peer } from "./peer.js";
import type { Session } from "./session.js";
import { issueOwnership, type Shell } from "./shell.js";

interface Pending {
  id: number;
  requester: Peer;
  requesterRequestId: number;
  shellId: number;
  ownerUserId: number;
  timer: NodeJS.Timeout;
}

export class Adoptions {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly session: Session) {}

  request(peer: Peer, requestId: number, shell: Shell): void {
    const s = this.session;
    const ownerPeer = shell.ownerTokenHash && shell.ownerUserId !== null ? s.peers.get(shell.ownerUserId) : undefined;
    const owned = shell.ownerTokenHash !== null;
    if (!owned || peer.role === "admin" || shell.ownerUserId === peer.userId) {
      this.transfer(shell, peer, requestId);
      return;
    }
    this.event(peer, shell, "adoption_request", "");
    if (!ownerPeer?.authed) {
      peer.send({ t: "adoptionResult", requestId, shellId: shell.id, status: "expired" });
      return;
    }
    const id = this.nextId++;
    const timer = setTimeout(() => this.finish(id, "expired"), s.limits.adoptionTimeoutMs);
    timer.unref?.();
    this.pending.set(id, { id, requester: peer, requesterRequestId: requestId, shellId: shell.id, ownerUserId: ownerPeer.userId, timer });
    ownerPeer.send({ t: "adoptionRequest", requestId: id, shellId: shell.id, fromUserId: peer.userId, fromName: peer.name });
  }

  /** Answer from the owner; false when there is no such request for this user. */
  respond(owner: Peer, id: number, approve: boolean): boolean {
    const p = this.pending.get(id);
    if (!p || p.ownerUserId !== owner.userId) return false;
    const shell = this.session.shells.get(p.shellId);
    if (!approve || !shell || shell.ownerUserId !== owner.userId || !p.requester.authed) {
      this.finish(id, approve ? "expired" : "denied");
      return true;
    }
    this.drop(p);
    this.transfer(shell, p.requester, p.requesterRequestId);
    return true;
  }

  /** A requester or owner left: their pending requests end as `expired`. */
  userLeft(peer: Peer): void {
    for (const p of [...this.pending.values()]) {
      if (p.ownerUserId === peer.userId) this.finish(p.id, "expired");
      else if (p.requester === peer) this.drop(p);
    }
  }

  shellClosed(shellId: number): void {
    for (const p of [...this.pending.values()]) if (p.shellId === shellId) this.finish(p.id, "expired");
  }

  stop(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  private transfer(shell: Shell, peer: Peer, requestId: number): void {
    const token = issueOwnership(shell, peer);
    shell.lock = null;
    this.session.dirty = true;
    peer.send({ t: "ownershipToken", shellId: shell.id, token });
    peer.send({ t: "adoptionResult", requestId, shellId: shell.id, status: "adopted" });
    this.session.broadcast(this.session.ownershipMsg());
    this.event(peer, shell, "adoption_result", "adopted");
  }

  private finish(id: number, status: "denied" | "expired"): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.drop(p);
    p.requester.send({ t: "adoptionResult", requestId: p.requesterRequestId, shellId: p.shellId, status });
    const shell = this.session.shells.get(p.shellId);
    if (shell) this.event(p.requester, shell, "adoption_result", status);
  }

  private drop(p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(p.id);
  }

  private event(peer: Peer, shell: Shell, kind: "adoption_request" | "adoption_result", detail: string): void {
    this.session.sendCli({ t: "sessionEvent", kind, userId: peer.userId, userName: peer.name, shellId: shell.id, device: peer.device, detail });
  }
}
