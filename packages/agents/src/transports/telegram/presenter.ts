/**
 * Telegram presenter: the markdown presenter's text rendered to text + entities, with the cancel
 * button on progress messages and an empty keyboard on final/cancelled ones (spec §6.7) [compat].
 */
import { MarkdownPresenter, followupsOf, type MarkdownPresenterOptions } from "../../bridge/presenter.js";
import type { ProgressState } from "../../bridge/progress.js";
import type { Presenter, RenderedMessage } from "../../bridge/transport.js";
import { renderMarkdown } from "./render.js";

export const CANCEL_CALLBACK_DATA = "takopi:cancel";
export const CANCEL_MARKUP = { inline_keyboard: [[{ text: "cancel", callback_data: CANCEL_CALLBACK_DATA }]] };
export const CLEAR_MARKUP = { inline_keyboard: [] as unknown[] };

function toTelegram(message: RenderedMessage, markup: unknown): RenderedMessage {
  const r = renderMarkdown(message.text);
  const followups = followupsOf(message).map((f) => toTelegram(f, undefined));
  return {
    text: r.text,
    extra: { entities: r.entities, ...(markup ? { reply_markup: markup } : {}), ...(followups.length ? { followups } : {}) },
  };
}

export class TelegramPresenter implements Presenter {
  private readonly md: MarkdownPresenter;
  constructor(opts: MarkdownPresenterOptions = {}) {
    this.md = new MarkdownPresenter(opts);
  }
  renderProgress(state: ProgressState, opts: { elapsedS: number; label?: string }): RenderedMessage {
    const cancelled = opts.label === "`cancelled`";
    return toTelegram(this.md.renderProgress(state, opts), cancelled ? CLEAR_MARKUP : CANCEL_MARKUP);
  }
  renderFinal(state: ProgressState, opts: { elapsedS: number; status: string; answer: string }): RenderedMessage {
    return toTelegram(this.md.renderFinal(state, opts), CLEAR_MARKUP);
  }
}
