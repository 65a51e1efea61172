/** Note content helpers of the inbox (spec §4.10): the write-back baseline hash and HTML → markdown. */
import { createHash } from "node:crypto";

export const contentHash = (s: string): string => createHash("sha256").update(s, "utf8").digest("hex");

/** Minimal HTML → markdown for `contentType: "html"` notes: blocks to newlines, tags dropped, entities decoded. */
export function htmlToMarkdown(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/(p|div|li|h[1-6]|tr)>/gi, "\n")
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>(.*?)<\/a>/gi, "[$2]($1)")
    .replace(/<[^>]+>/g, "")
    .replace(/&nbsp;/g, " ").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
