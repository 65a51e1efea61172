/**
 * Remote commands (§11.3.7, §13): `POST /api/v1/sessions/{id}/remote/command` and the GET shortcuts.
 * Callers authenticate with an API key of the session owner; the relay forwards the command to one
 * browser of the session (client targeting, §13.3) and returns its answer.
 *
 * Eligible clients are the session's admin browsers: a browser honours remote commands only while its
 * "Allow remote control" switch is on, which is on by default for admins (the owner's own browsers)
 * and off for everyone else (§13.2 Safety).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { ERRORS } from "@taiku/protocol";
import { type AuthConfig, requireCaller } from "../http/auth.js";
import { HttpError, parseBody } from "../http/errors.js";
import type { RemoteClient, Relay, SessionAccess } from "../seams.js";

export const CLIENT_NOT_FOUND = "Client not found";

/** §13.4 body; `shellId` is accepted as an older spelling of `source_shell_id`. */
const body = z.object({
  method: z.string().min(1).max(64),
  params: z.record(z.string(), z.unknown()).default({}),
  target_client_id: z.number().int().nonnegative().optional(),
  source_shell_id: z.number().int().positive().optional(),
  shellId: z.number().int().positive().optional(),
});

/** Methods that act on one shell: without `params.shellId` and without a source shell → 400 `shellId is required`. */
const NEEDS_SHELL = new Set(["runCommand", "writeToShell", "getShellOutput", "closeShell", "focusShell"]);

const SHORTCUTS: Record<string, string> = {
  shells: "getShells",
  users: "getUsers",
  agents: "getAgents",
  workspaces: "getWorkspaces",
  layout: "getLayoutTree",
};

const eligible = (clients: RemoteClient[]) => clients.filter((c) => c.role === "admin");
const byRecent = (a: RemoteClient, b: RemoteClient) => b.activeAt - a.activeAt || b.userId - a.userId;

/** §13.3: explicit target → owner/focuser of the source shell → the only client → error (or most recent). */
export function chooseClient(access: SessionAccess, target: number | undefined, sourceShellId: number | undefined): number {
  const clients = eligible(access.remoteClients()).sort(byRecent);
  if (target !== undefined) {
    if (!clients.some((c) => c.userId === target)) throw new HttpError(404, CLIENT_NOT_FOUND);
    return target;
  }
  if (sourceShellId !== undefined) {
    const owner = access.shellOwner(sourceShellId);
    if (owner !== undefined && clients.some((c) => c.userId === owner)) return owner;
    const focuser = clients.find((c) => c.focus === sourceShellId);
    if (focuser) return focuser.userId;
  }
  if (clients.length === 0) throw new HttpError(504, ERRORS.noBrowserResponded);
  if (clients.length === 1 || access.settings.remoteAmbiguous === "mostRecent") return clients[0]!.userId;
  const list = clients.map((c) => `${c.userId} (${c.name}, ${c.device})`).join(", ");
  throw new HttpError(400, `Multiple browser clients connected; choose one with --client <id>: ${list}`);
}

export function registerRemoteRoutes(app: FastifyInstance, auth: AuthConfig, relay: () => Relay): void {
  /** API key of the session owner (§13.1). Texts: Unauthorized, Session closed, Session not found, Not the session owner. */
  async function owned(req: FastifyRequest<{ Params: { id: string } }>): Promise<SessionAccess> {
    const caller = await requireCaller(auth, req, { apiKeyOnly: true, unauthenticated: ERRORS.unauthorized });
    const r = relay();
    const access = r.session?.(req.params.id);
    if (!access) {
      if (r.sessionEnded?.(req.params.id)) throw new HttpError(410, ERRORS.sessionClosed);
      throw new HttpError(404, ERRORS.sessionNotFound);
    }
    if (access.ownerAccountId === null || access.ownerAccountId !== caller.account.id) throw new HttpError(403, ERRORS.notOwner);
    return access;
  }

  async function run(access: SessionAccess, method: string, params: Record<string, unknown>, target: number | undefined, source: number | undefined) {
    const userId = chooseClient(access, target, source);
    return access.remoteCommand(userId, method, params, source ?? null);
  }

  app.post<{ Params: { id: string } }>("/api/v1/sessions/:id/remote/command", async (req) => {
    const access = await owned(req);
    const b = parseBody(body, req.body ?? {});
    const source = b.source_shell_id ?? b.shellId;
    if (NEEDS_SHELL.has(b.method) && typeof b.params.shellId !== "number" && source === undefined) {
      throw new HttpError(400, ERRORS.shellIdRequired);
    }
    const o = await run(access, b.method, b.params, b.target_client_id, source);
    if (o.ok) return { result: o.result ?? null };
    if (o.kind === "handler") throw new HttpError(400, o.error);
    if (o.error === ERRORS.sessionClosed) throw new HttpError(410, ERRORS.sessionClosed);
    throw new HttpError(504, ERRORS.noBrowserResponded);
  });

  for (const [route, method] of Object.entries(SHORTCUTS)) {
    app.get<{ Params: { id: string }; Querystring: { client?: string } }>(`/api/v1/sessions/:id/remote/${route}`, async (req) => {
      const access = await owned(req);
      const target = parseClient(req.query.client);
      const o = await run(access, method, {}, target, undefined);
      if (o.ok) return { result: o.result ?? null };
      if (o.kind === "handler") throw new HttpError(502, ERRORS.commandFailed);
      if (o.error === ERRORS.sessionClosed) throw new HttpError(410, ERRORS.sessionClosed);
      throw new HttpError(504, ERRORS.noBrowserResponded);
    });
  }
}

export function parseClient(v: string | undefined): number | undefined {
  if (v === undefined || v === "") return undefined;
  if (!/^\d+$/.test(v)) throw new HttpError(400, "client must be an integer >= 0");
  return Number(v);
}
