/**
 * Session routes the app serves from the relay's state: the caller's live sessions, and the remote
 * chat read (§11.3.7, §13.5), which the relay answers from its chat ring without a browser round trip.
 */
import type { FastifyInstance } from "fastify";
import { ERRORS } from "@taiku/protocol";
import type { Relay } from "../seams.js";
import { type AuthConfig, requireCaller } from "./auth.js";
import { HttpError } from "./errors.js";

export function registerSessionRoutes(app: FastifyInstance, auth: AuthConfig, relay: () => Relay): void {
  app.get("/api/v1/sessions", async (req) => {
    const caller = await requireCaller(auth, req);
    return relay().listSessions(caller.account.id);
  });

  app.get<{ Params: { id: string } }>("/api/v1/sessions/:id/remote/chat", async (req) => {
    // Remote routes authenticate by API key as the session owner (§13.1); texts from §11.4 and §13.4
    // (`Session not found` without a period, as the other remote routes answer).
    const caller = await requireCaller(auth, req, { apiKeyOnly: true, unauthenticated: ERRORS.unauthorized });
    const owner = relay().sessionOwner(req.params.id);
    if (owner === undefined && relay().sessionEnded?.(req.params.id)) throw new HttpError(410, ERRORS.sessionClosed);
    if (owner === undefined) throw new HttpError(404, ERRORS.sessionNotFound);
    if (owner !== caller.account.id) throw new HttpError(403, ERRORS.notOwner);
    const chat = relay().chatTuples(req.params.id);
    if (chat === undefined) throw new HttpError(404, ERRORS.sessionNotFound);
    return { result: chat };
  });
}
