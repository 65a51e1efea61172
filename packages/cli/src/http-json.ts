/** JSON POSTs to the taiku server's HTTP API (device registration and heartbeats, `taiku login`). */

export interface PostJsonOptions {
  /** Sent with `content-type: application/json` (auth headers, say). */
  headers?: Record<string, string>;
  /** Turns a network failure (fetch rejected, or the body broke off) into the caller's error; without it, the error is thrown as is. */
  unreachable?: (err: Error) => Error;
}

/**
 * POSTs `body` as JSON through `client.fetch` and reads the whole answer. Any HTTP status resolves:
 * what an error status or a non-JSON body means is each caller's to decide.
 */
export async function postJson(
  client: { fetch: typeof fetch },
  url: string,
  body: unknown,
  opts: PostJsonOptions = {},
): Promise<{ status: number; ok: boolean; text: string }> {
  try {
    const res = await client.fetch(url, { method: "POST", headers: { "content-type": "application/json", ...opts.headers }, body: JSON.stringify(body) });
    return { status: res.status, ok: res.ok, text: await res.text() };
  } catch (err) {
    throw opts.unreachable ? opts.unreachable(err as Error) : err;
  }
}
