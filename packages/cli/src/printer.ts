/** The text the CLI prints (spec §3.1, §14.5): link lines, the window count, presence lines. */
import type { CliDownMsg } from "@taiku/protocol";
import type { ShareLinks } from "./session.js";

export function linkLines(links: ShareLinks): string[] {
  if (links.readersEnabled) {
    return [`read-only: ${links.participant}`, `write: ${links.write}`, `admin: ${links.adminSignIn}`];
  }
  return [`session: ${links.participant}`, `admin: ${links.adminSignIn}`];
}

export function windowCountLine(count: number): string {
  return `${count} terminal window${count === 1 ? "" : "s"} (Up/Down to switch)`;
}

export const EXIT_HINT = "Ctrl-C to exit";

/** The banner printed once the session is ready. */
export function bannerLines(links: ShareLinks, shells: number, quiet: boolean): string[] {
  return quiet ? linkLines(links) : [...linkLines(links), windowCountLine(shells), EXIT_HINT];
}

/** The `Tunnels:` block (spec §3.12, §14.5): `  :3000  https://…/t/<id>/p/3000/`; nothing without tunnels. */
export function tunnelLines(tunnels: ReadonlyArray<{ port: number; url: string }>): string[] {
  return tunnels.length === 0 ? [] : ["Tunnels:", ...tunnels.map((t) => `  :${t.port}  ${t.url}`)];
}

/** `[connect] alice joined`, `[disconnect] bob left`, `[session] alice created shell 2`; null for silent kinds. */
export function presenceLine(ev: Pick<CliDownMsg<"sessionEvent">, "kind" | "userName" | "shellId" | "detail">): string | null {
  const name = ev.userName || "someone";
  switch (ev.kind) {
    case "user_joined":
      return `[connect] ${name} joined`;
    case "user_left":
      return `[disconnect] ${name} left`;
    case "shell_created":
      // Shells the host's own CLI spawns carry no user: nothing to announce.
      return ev.userName ? `[session] ${ev.userName} created shell ${ev.shellId}` : null;
    case "user_renamed":
      return ev.detail ? `[session] ${ev.detail} is now ${name}` : `[session] ${name} renamed`;
    case "adoption_request":
      return `[session] ${name} asked to adopt shell ${ev.shellId}`;
    case "adoption_result":
      return `[session] shell ${ev.shellId} adoption ${ev.detail || "finished"}`;
    default:
      return null;
  }
}

/** Strip ANSI escape sequences and control characters for the local preview. */
/* eslint-disable no-control-regex -- matching terminal control characters is the point */
export function plainText(s: string): string {
  return s
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g, "")
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, "")
    .replace(/\x1b[@-Z\\-_]/g, "")
    .replace(/\r(?!\n)/g, "\n")
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");
}
/* eslint-enable no-control-regex */
