/**
 * Bot API client over grammY's `Api` (custom API root for tests). Failures become `null`
 * (logged with the token redacted); HTTP 429 becomes a `RetryAfter` the caller honours
 * (spec §6.5, §7.1).
 */
import { Api, GrammyError, HttpError, InputFile } from "grammy";
import { getLogger } from "../../logger.js";

export class RetryAfter extends Error {
  override name = "RetryAfter";
  constructor(readonly seconds: number) {
    super(`retry after ${seconds}s`);
  }
}

export const DEFAULT_RETRY_AFTER_S = 5;

export interface BotClientOptions {
  token: string;
  /** Default https://api.telegram.org. */
  apiRoot?: string;
  /** HTTP timeout per request and per file download (spec §7.1: 120 s; above the 50 s long poll). */
  timeoutMs?: number;
}

export const DEFAULT_HTTP_TIMEOUT_MS = 120_000;

export function redact(text: string, token: string): string {
  return token ? text.split(token).join("[REDACTED]") : text;
}

/** Minimal structural view of the Bot API objects taiku reads. */
export type TgObject = Record<string, unknown>;

export class BotClient {
  readonly api: Api;
  readonly apiRoot: string;
  readonly timeoutMs: number;
  private readonly token: string;

  constructor(opts: BotClientOptions) {
    this.token = opts.token;
    this.apiRoot = (opts.apiRoot ?? "https://api.telegram.org").replace(/\/+$/, "");
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
    // grammY's own default is 500 s: a stalled connection would hold the poll loop or the outbox that long.
    this.api = new Api(opts.token, { apiRoot: this.apiRoot, timeoutSeconds: this.timeoutMs / 1000 });
  }

  /** Calls a Bot API method; null on failure; throws RetryAfter on 429. */
  async call<T = unknown>(method: string, payload: Record<string, unknown> = {}): Promise<T | null> {
    try {
      const raw = this.api.raw as unknown as Record<string, (p: Record<string, unknown>) => Promise<T>>;
      // Methods without parameters take an abort signal as first argument in grammY.
      return Object.keys(payload).length ? await raw[method]!(payload) : await (raw[method] as () => Promise<T>)();
    } catch (err) {
      if (err instanceof GrammyError) {
        if (err.error_code === 429) {
          const s = Number(err.parameters?.retry_after);
          throw new RetryAfter(Number.isFinite(s) && s >= 0 ? s : DEFAULT_RETRY_AFTER_S);
        }
        if (!/message is not modified/i.test(err.description)) {
          getLogger().warn(`telegram ${method} failed`, { error: redact(err.description, this.token), code: err.error_code });
        }
        return null;
      }
      const text = err instanceof HttpError ? String(err.error) : String(err);
      getLogger().warn(`telegram ${method} failed`, { error: redact(text, this.token) });
      return null;
    }
  }

  sendDocument(payload: { chat_id: number | string; filename: string; data: Uint8Array; caption?: string; reply_to_message_id?: number; message_thread_id?: number; disable_notification?: boolean }): Promise<TgObject | null> {
    const { filename, data, reply_to_message_id, ...rest } = payload;
    return this.call<TgObject>("sendDocument", {
      ...rest,
      document: new InputFile(data, filename),
      ...(reply_to_message_id ? { reply_parameters: { message_id: reply_to_message_id, allow_sending_without_reply: true } } : {}),
    });
  }

  /** Downloads a file by `file_path` from getFile; retries after 429 itself (§6.5 "not paced"). */
  async download(filePath: string, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)), attempts = 3): Promise<Uint8Array | null> {
    const url = `${this.apiRoot}/file/bot${this.token}/${filePath}`;
    for (let i = 0; i < attempts; i++) {
      try {
        const signal = AbortSignal.timeout(this.timeoutMs);
        const res = await fetch(url, { signal });
        if (res.status === 429) {
          const body = (await res.json().catch(() => ({}))) as { parameters?: { retry_after?: number } };
          await sleep(1000 * (Number(body.parameters?.retry_after) || DEFAULT_RETRY_AFTER_S));
          continue;
        }
        if (!res.ok) return null;
        return new Uint8Array(await res.arrayBuffer());
      } catch (err) {
        getLogger().warn("telegram download failed", { error: redact(String(err), this.token) });
        return null;
      }
    }
    return null;
  }
}
