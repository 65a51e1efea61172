/**
 * A headless viewer for the agents tests: the test viewer (helpers/viewer.ts) plus the session
 * chat as the page sees it (messages with edits applied) and decrypted `agent` frames — what the
 * web client must do for the Agent Monitor: AES-GCM with K_enc, AAD
 * `taiku-e2e-v1|<session>|agent|<shellId>|<seq>`, plaintext CBOR `{type, data, timestamp}`.
 */
import { aad, deriveSessionKeys, openFrame, parseFragment } from "@taiku/crypto";
import { decodeCbor } from "@taiku/protocol";
import { joinAsViewer, type TestViewer } from "./viewer.js";

export interface ChatView {
  id: number;
  userId: number;
  name: string;
  text: string;
  /** Every text the message had, oldest first (post, then each chatEdit). */
  history: string[];
}

export interface AgentEventView {
  shellId: number;
  seq: number;
  type: string;
  data: Record<string, unknown>;
  timestamp: number;
}

export interface AgentsViewer extends TestViewer {
  say(message: string): void;
  chat(): ChatView[];
  /** Messages posted by the host (the agents). */
  hostChat(): ChatView[];
  /** Decrypts every `agent` frame received so far (in order, each seq once). */
  agentEvents(): Promise<AgentEventView[]>;
  badAgentFrames: number;
}

export async function joinAgentsViewer(link: string, opts: { name?: string; writeProtected?: boolean } = {}): Promise<AgentsViewer> {
  const v = await joinAsViewer(link, opts);
  const url = new URL(link);
  const sessionId = url.pathname.split("/").pop()!;
  const keys = await deriveSessionKeys(sessionId, parseFragment(url.hash)!);
  const decrypted = new Map<string, AgentEventView>();
  const av = v as AgentsViewer;
  av.badAgentFrames = 0;
  av.say = (message) => v.send({ t: "chat", message });
  av.chat = () => {
    const byId = new Map<number, ChatView>();
    for (const m of v.messages) {
      // History sent on join ([userId, name, message, ts, id]), then live messages and edits.
      if (m.t === "chatHistory") for (const [userId, name, message, , id] of m.messages) byId.set(id, { id, userId, name, text: message, history: [message] });
      else if (m.t === "chat") byId.set(m.id, { id: m.id, userId: m.userId, name: m.name, text: m.message, history: [m.message] });
      else if (m.t === "chatEdit") {
        const c = byId.get(m.id);
        if (c) {
          c.text = m.message;
          c.history.push(m.message);
        }
      }
    }
    return [...byId.values()];
  };
  av.hostChat = () => av.chat().filter((c) => c.userId === 0);
  av.agentEvents = async () => {
    for (const m of v.messages) {
      if (m.t !== "agent") continue;
      for (const f of m.frames) {
        const key = `${m.shellId}:${f.seq}`;
        if (decrypted.has(key)) continue;
        const plain = await openFrame(keys.enc, { n: f.n, c: f.c }, aad.agent(sessionId, m.shellId, f.seq));
        if (!plain) {
          av.badAgentFrames++;
          decrypted.set(key, { shellId: m.shellId, seq: f.seq, type: "<undecryptable>", data: {}, timestamp: 0 });
          continue;
        }
        const ev = decodeCbor(plain) as { type: string; data: Record<string, unknown>; timestamp: number };
        decrypted.set(key, { shellId: m.shellId, seq: f.seq, type: ev.type, data: ev.data, timestamp: ev.timestamp });
      }
    }
    return [...decrypted.values()];
  };
  return av;
}
