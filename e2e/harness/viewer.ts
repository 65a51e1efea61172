/** A headless decrypting viewer in this process: the web app's own session client on `ws`. */
import WebSocket from "ws";
import { SessionClient, watchAllShells, type SocketFactory } from "../../packages/web/src/common/index.js";

export function parseLink(link: string): { sessionId: string; fragment: string; origin: string } {
  const url = new URL(link);
  const sessionId = url.pathname.split("/").pop()!;
  return { sessionId, fragment: url.hash.slice(1), origin: url.origin };
}

/** Connect to `baseUrl` (which may be a proxy) with the secrets of `link`. */
export async function openViewer(link: string, baseUrl?: string): Promise<SessionClient> {
  const { sessionId, fragment, origin } = parseLink(link);
  const client = new SessionClient({
    baseUrl: baseUrl ?? origin,
    sessionId,
    fragment,
    WebSocket: WebSocket as unknown as SocketFactory,
    device: "Linux Web",
    name: "e2e-viewer",
  });
  await client.start();
  await client.whenOnline(60_000);
  return client;
}

export { watchAllShells };
