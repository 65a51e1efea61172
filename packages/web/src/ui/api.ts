/**
 * Calls to the server's account API. Cookie-authenticated and same-origin (the server checks the
 * Origin header on state-changing requests). Error bodies are text/plain and shown as they are.
 */
import type { AccountInfo, LiveSessionSummary } from "@taiku/protocol";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function call<T>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, "Cannot reach the taiku server. Check your connection and try again.");
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => "")).trim();
    throw new ApiError(res.status, text || friendly(res.status));
  }
  const type = res.headers.get("content-type") ?? "";
  return (type.includes("json") ? await res.json() : undefined) as T;
}

function friendly(status: number): string {
  if (status === 401) return "Wrong email or password.";
  if (status === 403) return "Not allowed.";
  if (status === 404) return "Not found.";
  if (status === 409) return "An account with this email already exists.";
  if (status === 429) return "Too many attempts. Wait a minute and try again.";
  return `The server answered ${status}.`;
}

export const api = {
  me: () => call<AccountInfo>("GET", "/api/v1/auth/me"),
  /** null when not signed in (401), instead of an error. */
  async meOrNull(): Promise<AccountInfo | null> {
    try {
      return await api.me();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return null;
      throw err;
    }
  },
  signIn: (email: string, password: string) => call<unknown>("POST", "/api/v1/auth/signin", { email, password }),
  signUp: (name: string, email: string, password: string) => call<unknown>("POST", "/api/v1/auth/signup", { name, email, password }),
  logout: () => call<unknown>("POST", "/api/v1/auth/logout", {}),
  sessions: async (): Promise<LiveSessionSummary[]> => {
    const r = await call<LiveSessionSummary[] | { sessions: LiveSessionSummary[] }>("GET", "/api/v1/sessions");
    return Array.isArray(r) ? r : (r?.sessions ?? []);
  },
  oneTime: (code: string) => call<unknown>("POST", "/api/v1/auth/one-time", { code }),
  approveCli: (code: string) => call<unknown>("POST", "/api/v1/auth/cli/approve", { code }),
};
