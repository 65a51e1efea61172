/** The `GET /api/v1/auth/me` shape (§11.3.8), shared by every route that answers with the signed-in user. */
import type { AccountInfo } from "@taiku/protocol";
import type { Account } from "../seams.js";

export const accountInfo = (a: Account): AccountInfo =>
  a.email === undefined ? { id: a.id, name: a.name, plan: "self-hosted" } : { id: a.id, name: a.name, email: a.email, plan: "self-hosted" };
