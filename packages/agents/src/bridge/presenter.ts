/**
 * MarkdownPresenter: the transport-neutral presenter. Text is markdown (§6.3); `extra` carries a
 * structured copy of the progress (for rich UIs) and, in split mode, `followups`.
 */
import { assemble, finalParts, progressParts, type MessageParts } from "./markdown.js";
import { MAX_BODY_CHARS, splitMarkdownBody, trimBody } from "./overflow.js";
import type { ProgressState } from "./progress.js";
import type { Presenter, RenderedMessage } from "./transport.js";

export type MessageOverflow = "trim" | "split";

export interface MarkdownPresenterOptions {
  /** Final messages only; progress is always trimmed. */
  messageOverflow?: MessageOverflow;
  maxBodyChars?: number;
  /** Adds `extra.progress` (actions, resume, ctx) for UIs that render widgets. */
  structured?: boolean;
}

export function structuredProgress(state: ProgressState, label: string): Record<string, unknown> {
  return {
    label,
    engine: state.engine,
    actionCount: state.actionCount,
    actions: state.actions.map((a) => ({ id: a.action.id, kind: a.action.kind, title: a.action.title, phase: a.displayPhase, ok: a.ok, completed: a.completed })),
    resume: state.resume ? { engine: state.resume.engine, value: state.resume.value } : null,
    contextLine: state.contextLine,
  };
}

export class MarkdownPresenter implements Presenter {
  constructor(private readonly opts: MarkdownPresenterOptions = {}) {}

  protected limit(): number {
    return this.opts.maxBodyChars ?? MAX_BODY_CHARS;
  }

  protected extra(state: ProgressState, label: string): Record<string, unknown> {
    return this.opts.structured ? { progress: structuredProgress(state, label) } : {};
  }

  renderProgress(state: ProgressState, opts: { elapsedS: number; label?: string }): RenderedMessage {
    const parts = progressParts(state, opts);
    return { text: assemble({ ...parts, body: trimBody(parts.body, this.limit()) }), extra: this.extra(state, opts.label ?? "working") };
  }

  renderFinal(state: ProgressState, opts: { elapsedS: number; status: string; answer: string }): RenderedMessage {
    const parts = finalParts(state, opts);
    const extra = this.extra(state, opts.status);
    if (this.opts.messageOverflow !== "split") return { text: assemble({ ...parts, body: trimBody(parts.body, this.limit()) }), extra };
    const chunks = splitParts(parts, this.limit());
    const [first, ...rest] = chunks;
    return { text: first!, extra: rest.length ? { ...extra, followups: rest.map((text) => ({ text, extra: {} })) } : extra };
  }
}

/** Chunk i>1 gets `<header> · continued (i/N)` and every chunk keeps the full footer (§6.6). */
export function splitParts(parts: MessageParts, limit: number): string[] {
  const bodies = splitMarkdownBody(parts.body, limit);
  const n = bodies.length;
  return bodies.map((body, i) => {
    const header = i === 0 ? parts.header : parts.header ? `${parts.header} · continued (${i + 1}/${n})` : `continued (${i + 1}/${n})`;
    return assemble({ header, body, footer: parts.footer });
  });
}

export function followupsOf(message: RenderedMessage): RenderedMessage[] {
  const f = message.extra["followups"];
  return Array.isArray(f) ? (f as RenderedMessage[]) : [];
}
