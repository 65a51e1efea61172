/**
 * TLS material: PEM files given by the user, or a self-signed certificate generated once into
 * `$TAIKU_HOME/tls/` and reused (so a browser exception, once accepted, keeps working).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export type TlsOption = { cert: string; key: string } | { selfSigned: true };

export async function loadTls(tls: TlsOption, home: string, hostnames: string[]): Promise<{ cert: string; key: string }> {
  if (!("selfSigned" in tls)) {
    return { cert: await readFile(tls.cert, "utf8"), key: await readFile(tls.key, "utf8") };
  }
  const dir = join(home, "tls");
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  const existing = await Promise.all([readFile(certFile, "utf8"), readFile(keyFile, "utf8")]).catch(() => null);
  if (existing) return { cert: existing[0], key: existing[1] };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // type 2 = DNS name, type 7 = IP address (X.509 GeneralName tags).
  const altNames = [...new Set(["localhost", "127.0.0.1", "::1", ...hostnames])].map((h) =>
    /^[\d.]+$|:/.test(h) ? { type: 7, ip: h } : { type: 2, value: h },
  );
  // selfsigned (node-forge) is loaded only to generate a certificate, not by every server start.
  const { default: selfsigned } = await import("selfsigned");
  const pems = selfsigned.generate([{ name: "commonName", value: "taiku (self-signed)" }], {
    days: 825, // the longest validity Apple platforms accept for TLS server certificates
    keySize: 2048,
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames },
    ],
  });
  await writeFile(keyFile, pems.private, { mode: 0o600 });
  await writeFile(certFile, pems.cert, { mode: 0o644 });
  return { cert: pems.cert, key: pems.private };
}
