/**
 * Password accounts and browser sessions (§11.3.8, §2.6.4): sign-up, sign-in, logout, me, and the
 * owner's password-less sign-in through a one-time code minted with the owner's API key.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ERRORS, oneTimeSignInBody, signInBody, signUpBody } from "@taiku/protocol";
import { EmailTakenError, type AccountService } from "../accounts/accounts.js";
import type { RateLimiter } from "../accounts/rate-limit.js";
import { type AuthConfig, checkOriginIfPresent, clearSessionCookie, requireCaller, SESSION_COOKIE, setSessionCookie } from "./auth.js";
import { cookieOf } from "../credentials.js";
import { accountInfo } from "./account-view.js";
import { HttpError, parseBody, TEXT } from "./errors.js";

export interface AuthRoutesDeps {
  auth: AuthConfig;
  accounts: AccountService;
  /** Counts sign-in style attempts (sign-in, sign-up, one-time code) per IP and per email. */
  signInLimiter: RateLimiter;
  allowSignup: boolean;
}

function limit(deps: AuthRoutesDeps, req: FastifyRequest, email?: string): void {
  const ipOk = deps.signInLimiter.hit(`ip:${req.ip}`);
  const emailOk = email === undefined || deps.signInLimiter.hit(`email:${email}`);
  if (!ipOk || !emailOk) throw new HttpError(429, ERRORS.rateLimited);
}

export function registerAuthRoutes(app: FastifyInstance, deps: AuthRoutesDeps): void {
  const { auth, accounts } = deps;

  app.post("/api/v1/auth/signup", async (req, reply) => {
    checkOriginIfPresent(auth, req);
    if (!deps.allowSignup) throw new HttpError(403, TEXT.signupDisabled);
    const body = parseBody(signUpBody, req.body);
    limit(deps, req);
    try {
      const account = await accounts.create(body.name, body.email, body.password);
      setSessionCookie(auth, reply, await accounts.createWebSession(account.id));
      return reply.code(201).send(accountInfo(account));
    } catch (err) {
      if (err instanceof EmailTakenError) throw new HttpError(409, TEXT.emailTaken);
      throw err;
    }
  });

  app.post("/api/v1/auth/signin", async (req, reply) => {
    checkOriginIfPresent(auth, req);
    const body = parseBody(signInBody, req.body);
    limit(deps, req, body.email);
    const account = await accounts.checkPassword(body.email, body.password);
    if (!account) throw new HttpError(401, TEXT.badCredentials);
    setSessionCookie(auth, reply, await accounts.createWebSession(account.id));
    return accountInfo(account);
  });

  app.post("/api/v1/auth/logout", async (req, reply) => {
    const caller = await requireCaller(auth, req);
    if (caller.via === "cookie") await accounts.deleteWebSession(cookieOf(req.headers, SESSION_COOKIE)!);
    clearSessionCookie(auth, reply);
    return { ok: true };
  });

  app.get("/api/v1/auth/me", async (req) => accountInfo((await requireCaller(auth, req)).account));

  // API key only: a browser session must not be able to mint codes that sign in other browsers.
  app.post("/api/v1/auth/one-time-code", async (req) => {
    const caller = await requireCaller(auth, req, { apiKeyOnly: true });
    return { code: await accounts.issueOneTimeCode(caller.account.id) };
  });

  app.post("/api/v1/auth/one-time", async (req, reply) => {
    checkOriginIfPresent(auth, req);
    const body = parseBody(oneTimeSignInBody, req.body);
    limit(deps, req);
    const account = await accounts.redeemOneTimeCode(body.code);
    if (!account) throw new HttpError(401, TEXT.invalidCode);
    setSessionCookie(auth, reply, await accounts.createWebSession(account.id));
    return accountInfo(account);
  });
}
