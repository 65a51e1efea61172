/**
 * The tools a toolkit lists first (provider quirks as data). Catalogues are generated in the order of
 * their source (alphabetical for GitHub's 1,186 operations), so an unfiltered listing — `limit`
 * defaults to 50, as seed 000's Integrations Demo uses it — would show rarely used operations and
 * hide the everyday ones. These come first, in this order; the rest keep their generated order.
 */
export const FEATURED_TOOLS: Record<string, readonly string[]> = {
  github: [
    "GITHUB_CREATE_AN_ISSUE",
    "GITHUB_GET_AN_ISSUE",
    "GITHUB_LIST_REPOSITORY_ISSUES",
    "GITHUB_UPDATE_AN_ISSUE",
    "GITHUB_CREATE_AN_ISSUE_COMMENT",
    "GITHUB_LIST_ISSUE_COMMENTS",
    "GITHUB_SEARCH_ISSUES_AND_PULL_REQUESTS",
    "GITHUB_LIST_PULL_REQUESTS",
    "GITHUB_GET_A_PULL_REQUEST",
    "GITHUB_CREATE_A_PULL_REQUEST",
    "GITHUB_GET_A_REPOSITORY",
    "GITHUB_LIST_REPOSITORIES_FOR_THE_AUTHENTICATED_USER",
    "GITHUB_GET_THE_AUTHENTICATED_USER",
  ],
  slack: ["SLACK_CHAT_POST_MESSAGE", "SLACK_CONVERSATIONS_LIST", "SLACK_CONVERSATIONS_HISTORY", "SLACK_USERS_LIST"],
  linear: ["LINEAR_CREATE_ISSUE", "LINEAR_UPDATE_ISSUE", "LINEAR_ISSUE", "LINEAR_ISSUES", "LINEAR_SEARCH_ISSUES", "LINEAR_CREATE_COMMENT", "LINEAR_TEAMS", "LINEAR_VIEWER"],
  gmail: ["GMAIL_MESSAGES_SEND", "GMAIL_MESSAGES_LIST", "GMAIL_MESSAGES_GET", "GMAIL_THREADS_LIST", "GMAIL_DRAFTS_CREATE", "GMAIL_DRAFTS_SEND"],
};

/** Featured tools first (those the catalogue has), then the others in their original order. */
export function featuredFirst<T extends { slug: string }>(toolkit: string, tools: readonly T[]): T[] {
  const featured = FEATURED_TOOLS[toolkit] ?? [];
  const rank = new Map(featured.map((slug, i) => [slug, i]));
  const head = tools.filter((t) => rank.has(t.slug)).sort((a, b) => rank.get(a.slug)! - rank.get(b.slug)!);
  return [...head, ...tools.filter((t) => !rank.has(t.slug))];
}
