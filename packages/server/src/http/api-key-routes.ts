/** API key management for the signed-in account (§11.3.8). The raw key is returned once, at creation. */
import type { FastifyInstance } from "fastify";
import { apiKeyCreateBody } from "@taiku/protocol";
import type { AccountService } from "../accounts/accounts.js";
import { apiKeyOf } from "../credentials.js";
import { type AuthConfig, requireCaller } from "./auth.js";
import { HttpError, parseBody, TEXT } from "./errors.js";

export function registerApiKeyRoutes(app: FastifyInstance, auth: AuthConfig, accounts: AccountService): void {
  app.get("/api/v1/auth/api-keys", async (req) => {
    const caller = await requireCaller(auth, req);
    return accounts.listApiKeys(caller.account.id, caller.via === "apiKey" ? apiKeyOf(req.headers) : null);
  });

  app.post("/api/v1/auth/api-keys", async (req, reply) => {
    const caller = await requireCaller(auth, req);
    const body = parseBody(apiKeyCreateBody, req.body);
    return reply.code(201).send(await accounts.createApiKey(caller.account.id, body.label));
  });

  app.delete<{ Params: { id: string } }>("/api/v1/auth/api-keys/:id", async (req) => {
    const caller = await requireCaller(auth, req);
    if (!(await accounts.revokeApiKey(caller.account.id, req.params.id))) throw new HttpError(404, TEXT.apiKeyNotFound);
    return { ok: true };
  });
}
