/**
 * Owner sign-in without a password: with the owner token (embedded server) or a logged-in API key
 * the CLI asks `POST /api/v1/auth/one-time-code` (X-Taiku-Token) for `{code}` and puts
 * `?signin=<code>` in the printed admin link before the `#`; the page exchanges it for a cookie.
 */
export async function fetchOneTimeCode(server: string, token: string, fetchFn: typeof fetch, log: (m: string) => void): Promise<string | null> {
  try {
    const res = await fetchFn(`${server}/api/v1/auth/one-time-code`, {
      method: "POST",
      headers: { "X-Taiku-Token": token, "content-type": "application/json" },
      body: "{}",
    });
    if (!res.ok) {
      log(`one-time sign-in code: HTTP ${res.status}`);
      return null;
    }
    const body = (await res.json()) as { code?: unknown };
    return typeof body.code === "string" ? body.code : null;
  } catch (err) {
    log(`one-time sign-in code: ${String(err)}`);
    return null;
  }
}

/** `https://h/s/id#frag` → `https://h/s/id?signin=<code>#frag` */
export const withSignIn = (link: string, code: string): string => link.replace("#", `?signin=${encodeURIComponent(code)}#`);
