/**
 * The CLI's side of shell aliases (spec §4.8): `aliases {names}` from the server → shims; a shim's
 * control-socket request → `aliasCall` sealed with K_enc (AAD `alias|shellId|invocationId`) → the
 * `aliasResult` opened with AAD `alias-result|…` → the shim. No answer in time → `{timeout: true}`.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { aad, openFrame, sealFrame, type AeadKey } from "@taiku/crypto";
import { decodeCbor, encodeCbor, LIMITS, type CliDownMsg, type CliUp } from "@taiku/protocol";
import { AliasShims, aliasOutputSchema, type ControlAnswer, type ControlRequest } from "./alias-shims.js";

export const ALIAS_ANSWER_MS = 30_000;

/**
 * How the shims run this CLI: node + the bundled bin beside this module (the npm package and a built
 * checkout), else the script node was started with.
 */
export function defaultAliasCommand(): string[] {
  const bundled = fileURLToPath(new URL("./taiku.js", import.meta.url));
  return [process.execPath, existsSync(bundled) ? bundled : (process.argv[1] ?? bundled)];
}

export interface ShareAliasesOptions {
  command: string[];
  basePath: string;
  sessionId(): string;
  key(): AeadKey;
  send(msg: CliUp): boolean;
  /** Shells of this session: a request naming another shell is refused. */
  shellIds(): number[];
  answerMs?: number;
  warn(message: string): void;
}

interface Waiting {
  shellId: number;
  timer: NodeJS.Timeout;
  resolve(a: ControlAnswer): void;
}

const TIMEOUT: ControlAnswer = { timeout: true };

export class ShareAliases {
  readonly shims: AliasShims;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();

  /** Create the directory and listen on its control socket; when it cannot listen, the directory is removed again. */
  static async start(opts: ShareAliasesOptions): Promise<ShareAliases> {
    const aliases = new ShareAliases(opts);
    try {
      await aliases.shims.listen();
    } catch (err) {
      aliases.shims.close();
      throw err;
    }
    return aliases;
  }

  constructor(private readonly opts: ShareAliasesOptions) {
    this.shims = new AliasShims({ command: opts.command, basePath: opts.basePath, call: (r) => this.call(r), warn: opts.warn });
  }

  onMessage(msg: CliDownMsg<"aliases"> | CliDownMsg<"aliasResult">): void {
    if (msg.t === "aliases") {
      this.shims.setNames(msg.names);
      return;
    }
    const w = this.waiting.get(msg.invocationId);
    if (!w) return;
    if (msg.timeout || !msg.frame) return this.finish(msg.invocationId, TIMEOUT);
    void this.open(msg.frame, w.shellId, msg.invocationId).then((a) => this.finish(msg.invocationId, a));
  }

  /** The link dropped: the server forgot these calls, so they cannot be answered. */
  linkDown(): void {
    for (const id of [...this.waiting.keys()]) this.finish(id, TIMEOUT);
  }

  close(): void {
    this.linkDown();
    this.shims.close();
  }

  async call(req: Omit<ControlRequest, "token">): Promise<ControlAnswer> {
    if (!this.opts.shellIds().includes(req.shellId)) throw new Error(`shell ${req.shellId} is not a shell of this session`);
    const invocationId = this.nextId++;
    const plain = encodeCbor({ name: req.name, args: req.args, cwd: req.cwd });
    // The server refuses an `aliasCall` whose sealed frame is over one frame's plaintext (64 KiB): say so now, not after the deadline.
    if (plain.byteLength > LIMITS.maxDataPlaintext) {
      throw new Error(`${req.name}: the arguments are too large (${plain.byteLength} bytes encoded; at most ${LIMITS.maxDataPlaintext})`);
    }
    const frame = await sealFrame(this.opts.key(), plain, aad.alias(this.opts.sessionId(), req.shellId, invocationId));
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.finish(invocationId, TIMEOUT), this.opts.answerMs ?? ALIAS_ANSWER_MS);
      timer.unref?.();
      this.waiting.set(invocationId, { shellId: req.shellId, timer, resolve });
      if (!this.opts.send({ t: "aliasCall", invocationId, shellId: req.shellId, frame, name: req.name })) this.finish(invocationId, TIMEOUT);
    });
  }

  private async open(frame: { n: Uint8Array; c: Uint8Array }, shellId: number, invocationId: number): Promise<ControlAnswer> {
    const plain = await openFrame(this.opts.key(), frame, aad.aliasResult(this.opts.sessionId(), shellId, invocationId));
    let parsed: ReturnType<typeof aliasOutputSchema.safeParse> | null = null;
    try {
      parsed = plain ? aliasOutputSchema.safeParse(decodeCbor(plain)) : null;
    } catch {
      parsed = null;
    }
    if (parsed?.success) return parsed.data;
    this.opts.warn(`discarded the result of alias call ${invocationId}: it failed authentication or is malformed`);
    return { stdout: "", stderr: "taiku: the alias result could not be read\n", exitCode: 1 };
  }

  private finish(invocationId: number, answer: ControlAnswer): void {
    const w = this.waiting.get(invocationId);
    if (!w) return;
    this.waiting.delete(invocationId);
    clearTimeout(w.timer);
    w.resolve(answer);
  }
}
