/**
 * The CLI link (ARCHITECTURE.md, "Decisions"): a WebSocket to `/api/cli` carrying one CBOR map
 * per binary frame. First `open` (or `resume` after a loss), answered by `opened`; the session
 * then sends `hello`. On loss the link retries with backoff until the grace window ends; `ping`
 * is answered here. Everything else is handed to the session.
 */
import { randomFillSync } from "node:crypto";
import WebSocket from "ws";
import { CLI_LINK_PATH, CLOSE, decodeCbor, encodeCbor, parseCliDown, type CliDown, type CliDownMsg, type CliUp, type CliUpMsg } from "@taiku/protocol";
import { backoffDelay } from "./backoff.js";
import { CliError, EXIT } from "./exit-codes.js";

/**
 * Masking keys for the link. Masking (RFC 6455 §10.3) protects intercepting proxies from byte
 * sequences a third party chose. Output `data` messages are AES-GCM ciphertext nobody can choose, so
 * they get an all-zero key, which `ws` recognises and then skips masking (no copy and XOR of every
 * output frame); everything else (tunnel and file bodies, which others can influence) is masked as
 * usual. `ws` asks for the key synchronously inside `send` (no permessage-deflate on this link).
 */
let sendingCiphertext = false;
const linkMask = (mask: Buffer): void => {
  if (sendingCiphertext) mask.fill(0);
  else randomFillSync(mask);
};

export interface LinkTimers {
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  /** Give up after this long without a link (the server's grace window). */
  cliGraceMs: number;
}

export interface LinkOptions {
  /** Server origin, e.g. http://127.0.0.1:8080. */
  server: string;
  token?: string;
  open: Omit<CliUpMsg<"open">, "t" | "v">;
  timers: LinkTimers;
  /** The link is (re)established: send `hello` etc. Runs before any queued message is handled. */
  onOpened(msg: CliDownMsg<"opened">, reconnected: boolean): void;
  onMessage(msg: CliDown): void;
  /** The socket dropped; a reconnect is scheduled. */
  onDown(reason: string): void;
  /** The link cannot continue (grace window over, session gone, auth refused). */
  onFatal(err: CliError): void;
  log(message: string): void;
  random?: () => number;
}

export const linkUrl = (server: string): string => server.replace(/^http/, "ws").replace(/\/+$/, "") + CLI_LINK_PATH;

type State = "idle" | "connecting" | "up" | "down" | "closed";

export class Link {
  private ws: WebSocket | null = null;
  private state: State = "idle";
  private session: { sessionId: string; token: string } | null = null;
  private attempt = 0;
  private downSince = 0;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: LinkOptions) {}

  get up(): boolean {
    return this.state === "up";
  }

  /** Bytes queued on the socket and not yet written to the kernel. */
  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  /** First connection: `open` → `opened`. Rejects with a CliError (auth → exit 3). */
  start(): Promise<CliDownMsg<"opened">> {
    return new Promise((resolve, reject) => {
      this.connect({ t: "open", v: 1, ...this.opts.open }, (err, opened) => (err ? reject(err) : resolve(opened!)));
    });
  }

  send(msg: CliUp): boolean {
    return this.sendEncoded(encodeCbor(msg));
  }

  /** `send` for a message already encoded as CBOR (e.g. by `encodeCliData`); `ciphertext`: it is a sealed output frame. */
  sendEncoded(bytes: Uint8Array, ciphertext = false): boolean {
    if (this.state !== "up" || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    sendingCiphertext = ciphertext;
    try {
      this.ws.send(bytes);
    } finally {
      sendingCiphertext = false;
    }
    return true;
  }

  /** Test hook and `--verbose` diagnostics: drop the socket as if the network failed. */
  dropForTest(): void {
    this.ws?.terminate();
  }

  /** Send a final message (e.g. `close`) and close the socket; waits briefly for it to flush. */
  async shutdown(finalMessage?: CliUp, timeoutMs = 2000): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const ws = this.ws;
    const wasUp = this.state === "up";
    this.state = "closed";
    if (!ws) return;
    if (finalMessage && wasUp && ws.readyState === WebSocket.OPEN) ws.send(encodeCbor(finalMessage));
    if (ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        ws.terminate();
        resolve();
      }, timeoutMs);
      ws.once("close", () => {
        clearTimeout(t);
        resolve();
      });
      ws.close(1000, "session closed");
    });
  }

  private connect(first: CliUp, firstDone?: (err: CliError | null, opened?: CliDownMsg<"opened">) => void): void {
    this.state = "connecting";
    const headers: Record<string, string> = {};
    if (this.opts.token) headers["X-Taiku-Token"] = this.opts.token;
    const ws = new WebSocket(linkUrl(this.opts.server), { headers, perMessageDeflate: false, maxPayload: 8 * 1024 * 1024, generateMask: linkMask });
    ws.binaryType = "nodebuffer";
    this.ws = ws;
    let opened = false;
    let failure: CliError | null = null;

    ws.on("unexpected-response", (_req, res) => {
      const code = res.statusCode ?? 0;
      failure =
        code === 401 || code === 403
          ? new CliError(`the server refused the token (HTTP ${code}); check --token/TAIKU_TOKEN or run 'taiku login'`, EXIT.auth)
          : new CliError(`the server answered HTTP ${code} on ${CLI_LINK_PATH}; is this a taiku server?`);
      res.resume();
      ws.terminate();
    });
    ws.on("error", (err) => {
      failure ??= new CliError(`cannot reach ${this.opts.server}: ${err.message}`);
    });
    ws.on("open", () => ws.send(encodeCbor(first)));
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (this.ws !== ws) return;
      if (!isBinary) return this.opts.log("ignored a text frame on the link");
      let raw: unknown;
      try {
        raw = decodeCbor(data);
      } catch {
        return this.opts.log("ignored a malformed CBOR frame on the link");
      }
      const parsed = parseCliDown(raw);
      if (!parsed.ok) {
        if (!parsed.unknownType) this.opts.log(parsed.error);
        return;
      }
      const msg = parsed.message;
      if (!opened) {
        if (msg.t === "opened") {
          opened = true;
          const reconnected = this.session !== null;
          this.session = { sessionId: msg.sessionId, token: msg.token };
          this.state = "up";
          this.attempt = 0;
          this.opts.onOpened(msg, reconnected);
          firstDone?.(null, msg);
          firstDone = undefined;
        } else if (msg.t === "error") {
          failure = sessionError(msg.message);
          ws.close();
        }
        return;
      }
      if (msg.t === "ping") {
        ws.send(encodeCbor({ t: "pong", ts: msg.ts }));
        return;
      }
      this.opts.onMessage(msg);
    });
    ws.on("close", (code, reasonBuf) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.state === "closed") return;
      if (!failure && (code === CLOSE.notFound || code === CLOSE.sessionClosed)) {
        failure = new CliError(`the session has ended: ${reasonBuf.toString() || "closed by the server"}`, EXIT.sessionGone);
      } else if (!failure && (code === CLOSE.loginRequired || code === CLOSE.authFailed)) {
        failure = new CliError(`the server refused the link: ${reasonBuf.toString() || "authentication failed"}`, EXIT.auth);
      }
      const reason = failure?.message ?? (reasonBuf.toString() || `socket closed (${code})`);
      if (firstDone) {
        // The very first connection failed: nothing to resume.
        this.state = "closed";
        firstDone(failure ?? new CliError(reason));
        return;
      }
      if (failure && (failure.exitCode === EXIT.sessionGone || failure.exitCode === EXIT.auth)) {
        this.state = "closed";
        this.opts.onFatal(failure);
        return;
      }
      if (this.state === "up" || this.downSince === 0) {
        this.downSince = Date.now();
        this.opts.onDown(reason);
      }
      this.state = "down";
      this.scheduleRetry();
    });
  }

  private scheduleRetry(): void {
    const elapsed = Date.now() - this.downSince;
    if (elapsed >= this.opts.timers.cliGraceMs) {
      this.state = "closed";
      this.opts.onFatal(new CliError(`lost the link to ${this.opts.server} for longer than the grace window; the session has ended`, EXIT.sessionGone));
      return;
    }
    const delay = Math.min(
      backoffDelay(this.attempt++, this.opts.timers.reconnectInitialMs, this.opts.timers.reconnectMaxMs, this.opts.random),
      this.opts.timers.cliGraceMs - elapsed,
    );
    this.opts.log(`link down; reconnecting in ${delay} ms`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.state !== "down" || !this.session) return;
      this.downSince = this.downSince || Date.now();
      this.connect({ t: "resume", v: 1, sessionId: this.session.sessionId, token: this.session.token });
    }, delay);
  }

  /** Called by the session once it has re-sent what the server lacked: a later loss starts a new grace window. */
  markHealthy(): void {
    this.downSince = 0;
  }
}

function sessionError(message: string): CliError {
  if (/session not found|session closed|not found/i.test(message)) return new CliError(`the server no longer knows this session: ${message}`, EXIT.sessionGone);
  if (/auth|token|login/i.test(message)) return new CliError(`the server refused the link: ${message}`, EXIT.auth);
  return new CliError(`the server refused the link: ${message}`);
}
