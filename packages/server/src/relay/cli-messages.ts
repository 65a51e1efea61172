/** Channel messages from an attached CLI (§2.3 `ClientUpdate` + taiku additions). */
import type { CliUp, CliUpMsg } from "@taiku/protocol";
import { compact } from "./ring.js";
import { issueOwnership } from "./shell.js";
import type { Session } from "./session.js";

/** Same cap as admin `setSessionPlugin` (browser-messages.ts). */
const MAX_SESSION_PLUGINS = 256;
/** Heartbeats and request/answer traffic: nothing of it is in a snapshot. */
const TRANSIENT = new Set<CliUp["t"]>(["pong", "fsResponse", "tunnelResponse", "aliasCall"]);

export function handleCliMessage(session: Session, msg: CliUp): void {
  if (!TRANSIENT.has(msg.t)) session.dirty = true; // only messages that change snapshotted state warrant a new snapshot
  switch (msg.t) {
    case "data": {
      const shell = session.shells.get(msg.shellId);
      if (shell) session.fanout.output(shell, { seq: msg.seq, n: msg.frame.n, c: msg.frame.c });
      return;
    }
    case "agent": {
      const shell = session.shells.get(msg.shellId);
      const f = { seq: msg.seq, n: msg.frame.n, c: msg.frame.c };
      if (shell && shell.agent.push(f)) {
        for (const p of session.authedPeers()) p.agentSent.add(shell.id);
        session.broadcast({ t: "agent", shellId: shell.id, frames: [f] });
      }
      return;
    }
    case "title": {
      const shell = session.shells.get(msg.shellId);
      if (!shell || (shell.title && shell.title.version >= msg.version)) return; // highest version wins
      shell.title = { version: msg.version, frame: { n: compact(msg.frame.n), c: compact(msg.frame.c) } };
      session.broadcast({ t: "title", shellId: shell.id, version: msg.version, frame: msg.frame });
      return;
    }
    case "createdShell":
      return createdShell(session, msg);
    case "closedShell": {
      if (!session.shells.delete(msg.shellId)) return;
      session.adoptions.shellClosed(msg.shellId);
      for (const p of session.peers.values()) p.subs.delete(msg.shellId);
      session.broadcast(session.shellsMsg());
      session.broadcast(session.ownershipMsg());
      return;
    }
    case "pong":
      session.latencyMs = Math.max(0, session.now() - msg.ts);
      session.broadcast({ t: "shellLatency", ms: session.latencyMs });
      return;
    case "chatSend": {
      // The host (agents) is exempt from the per-user rate limit, not from size limits.
      if (msg.message.length > session.limits.chatMaxChars) {
        session.sendCli({ t: "error", message: "chat message too long" });
        return;
      }
      const entry = session.postChat({ userId: 0, name: msg.name, role: "host", message: msg.message, ts: session.now() });
      session.sendCli({ t: "chatSent", requestId: msg.requestId, id: entry.id });
      return;
    }
    case "chatEdit": {
      const entry = session.chat.find(msg.id);
      if (!entry || entry.role !== "host") {
        session.sendCli({ t: "error", message: "no such host chat message" });
        return;
      }
      if (msg.message.length <= session.limits.chatMaxChars) session.editChat(entry, msg.message);
      return;
    }
    case "rekey":
      return rekey(session, msg);
    case "close":
      session.end(msg.reason ?? "host ended the session");
      return;
    case "fsResponse":
      session.fs.onResponse(msg);
      return;
    case "tunnelResponse":
      session.tunnels.onResponse(msg);
      return;
    case "setSessionPlugins": {
      // The CLI owns the session (`taiku --plugin`): entries are added or replaced, enabled.
      let changed = false;
      for (const p of msg.plugins) {
        if (!Object.hasOwn(session.plugins, p.pluginId) && Object.keys(session.plugins).length >= MAX_SESSION_PLUGINS) break;
        const prev = session.plugins[p.pluginId];
        if (prev?.manifest_url === p.manifestUrl && prev.enabled) continue;
        session.plugins[p.pluginId] = { manifest_url: p.manifestUrl, enabled: true };
        changed = true;
      }
      if (changed) session.broadcast({ t: "sessionPlugins", plugins: session.plugins });
      return;
    }
    case "aliasCall":
      session.aliases.onCall(msg);
      return;
    case "error":
      session.ctx.deps.logger.warn({ sessionId: session.id }, "CLI reported an error");
      return;
    default:
      // open/resume/hello after attach: ignored.
      return;
  }
}

function createdShell(session: Session, msg: CliUpMsg<"createdShell">): void {
  let shell = session.shells.get(msg.shellId);
  const isNew = !shell;
  if (shell) {
    shell.rows = msg.rows;
    shell.cols = msg.cols;
  } else {
    shell = session.newShell(msg.shellId, msg.rows, msg.cols);
  }
  const pending = msg.requestId !== 0 ? session.pendingCreates.get(msg.requestId) : undefined;
  if (pending) session.pendingCreates.delete(msg.requestId);
  const creator = pending ? session.peers.get(pending.userId) : undefined;
  if (isNew && creator?.authed) {
    shell.creatorUserId = creator.userId;
    creator.send({ t: "ownershipToken", shellId: shell.id, token: issueOwnership(shell, creator), requestId: pending!.requestId });
  } else if (isNew && msg.requestId === 0) {
    const admin = session.firstAdmin();
    if (admin) admin.send({ t: "ownershipToken", shellId: shell.id, token: issueOwnership(shell, admin) });
    else shell.awaitingAdmin = true;
  }
  session.broadcast(session.shellsMsg());
  session.broadcast(session.ownershipMsg());
  if (isNew) {
    session.sendCli({
      t: "sessionEvent", kind: "shell_created", userId: creator?.userId ?? 0, userName: creator?.name ?? "",
      shellId: shell.id, device: creator?.device ?? "", detail: "",
    });
  }
}

/** New verifiers after `rotateLinks`: notify admins, drop old-key frames (shells and documents), disconnect every viewer. */
function rekey(session: Session, msg: CliUpMsg<"rekey">): void {
  session.verifiers = { view: compact(msg.viewVerifier), write: compact(msg.writeVerifier), admin: compact(msg.adminVerifier) };
  for (const p of session.authedPeers()) if (p.role === "admin") p.send({ t: "linksRotated", frame: msg.notice });
  for (const shell of session.shells.values()) {
    shell.output.clear();
    shell.agent.clear();
    shell.title = null;
  }
  session.docs.clearFrames();
  for (const p of [...session.peers.values()]) p.close(4403, "links rotated");
  session.ctx.deps.logger.info({ sessionId: session.id }, "links rotated");
}
