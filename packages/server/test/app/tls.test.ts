import https from "node:https";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { start, tempHome } from "./helpers.js";

interface HttpsRes {
  status: number;
  body: string;
  cert: string;
  setCookie: string;
}

function httpsReq(url: string, json?: unknown): Promise<HttpsRes> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: json === undefined ? "GET" : "POST", rejectUnauthorized: false, headers: json === undefined ? {} : { "content-type": "application/json" } },
      (res) => {
        let body = "";
        const cert = (res.socket as import("node:tls").TLSSocket).getPeerCertificate().fingerprint256;
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, cert, setCookie: String(res.headers["set-cookie"] ?? "") }));
      },
    );
    req.on("error", reject);
    req.end(json === undefined ? undefined : JSON.stringify(json));
  });
}

describe("TLS", () => {
  it("generates a self-signed certificate into home/tls, serves https, and reuses it on restart", async () => {
    const home = await tempHome();
    const a = await start({ home, tls: { selfSigned: true } });
    expect(a.server.url).toBe(`https://127.0.0.1:${a.server.port}`);
    expect(a.server.publicUrl).toBe(`https://localhost:${a.server.port}`);
    const first = await httpsReq(`${a.server.url}/healthz`);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body).ok).toBe(true);
    expect((await stat(join(home, "tls", "key.pem"))).mode & 0o777).toBe(0o600);
    // Cookies set over TLS are Secure.
    const up = await httpsReq(`${a.server.url}/api/v1/auth/signup`, { name: "A", email: "a@example.com", password: "long enough" });
    expect(up.status).toBe(201);
    expect(up.setCookie).toMatch(/^taiku_session=\w+; HttpOnly; SameSite=Lax; Path=\/; Secure; Max-Age=\d+$/);
    await a.server.close();

    const b = await start({ home, tls: { selfSigned: true } });
    const second = await httpsReq(`${b.server.url}/healthz`);
    expect(second.cert).toBe(first.cert);
  });

  it("serves given PEM files", async () => {
    const home = await tempHome();
    const gen = await start({ home, tls: { selfSigned: true } });
    await gen.server.close();
    const s = await start({ home: await tempHome(), tls: { cert: join(home, "tls", "cert.pem"), key: join(home, "tls", "key.pem") } });
    const res = await httpsReq(`${s.server.url}/healthz`);
    expect(res.status).toBe(200);
    expect((await readFile(join(home, "tls", "cert.pem"), "utf8")).startsWith("-----BEGIN CERTIFICATE-----")).toBe(true);
  });
});
