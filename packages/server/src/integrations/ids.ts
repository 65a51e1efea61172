/** Random ids of integration rows: `<prefix>_<16 random bytes, base64url>`. */
import { randomBytes } from "node:crypto";

export const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString("base64url")}`;
