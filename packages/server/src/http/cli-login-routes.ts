/** Device-code login for `taiku login` (§11.3.8); the flow itself lives in accounts/cli-login.ts. */
import type { FastifyInstance } from "fastify";
import { ERRORS, cliLoginApproveBody, cliLoginPollBody, cliLoginStartBody } from "@taiku/protocol";
import type { CliLoginService } from "../accounts/cli-login.js";
import type { RateLimiter } from "../accounts/rate-limit.js";
import { type AuthConfig, requireCaller } from "./auth.js";
import { HttpError, parseBody, sendText, TEXT } from "./errors.js";

export function registerCliLoginRoutes(app: FastifyInstance, auth: AuthConfig, cliLogin: CliLoginService, limiter: RateLimiter): void {
  app.post("/api/v1/auth/cli/start", async (req) => cliLogin.start(parseBody(cliLoginStartBody, req.body)));

  app.post("/api/v1/auth/cli/approve", async (req) => {
    const caller = await requireCaller(auth, req);
    const body = parseBody(cliLoginApproveBody, req.body);
    // User codes are short enough to guess at volume; cap attempts per account.
    if (!limiter.hit(`approve:${caller.account.id}`)) throw new HttpError(429, ERRORS.rateLimited);
    if (!(await cliLogin.approve(body.code, caller.account))) throw new HttpError(404, TEXT.invalidCode);
    return { ok: true };
  });

  app.post("/api/v1/auth/cli/poll", async (req, reply) => {
    const result = await cliLogin.poll(parseBody(cliLoginPollBody, req.body).pollToken);
    if (result.status === "pending") return sendText(reply, 202, TEXT.loginPending);
    if (result.status === "expired") return sendText(reply, 410, TEXT.loginExpired);
    const { apiKey, user, deviceId, deviceToken } = result;
    return { apiKey, user, deviceId, deviceToken };
  });
}
