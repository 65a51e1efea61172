import { parseHotkey } from "@taiku/protocol";
import { describe, expect, it, vi } from "vitest";
import { KvEntries } from "../common/kv-entries.js";
import { MemoryStorage } from "../common/services.js";
import { PluginCatalog } from "./catalog.js";
import { LocalPluginStore, SECRETS_KEY } from "./local-store.js";
import { kvBytes, kvEntryBytes, SessionKvView } from "./session-kv.js";
import { diffEvents } from "./state-events.js";
import { FakeSession, registered } from "./testing.js";
import { bindHotkeys, matchesHotkey, sanitizeSvg } from "./ui-logic.js";

describe("diffEvents (session state → plugin events)", () => {
  it("reports joins, leaves, focus changes, shells, renames, chat and adoption prompts", () => {
    const s = new FakeSession();
    const prev = s.state;
    const next = {
      ...prev,
      users: [
        { ...prev.users[0]!, focus: 1 },
        { userId: 7, name: "Bob", device: "Mac Web", role: "reader" as const, canWrite: false, focus: null, cursor: null },
      ],
      shells: [...prev.shells, { id: 2, rows: 24, cols: 80, name: null, creatorUserId: 5 }],
      info: { ...prev.info!, name: "renamed" },
      chat: [{ id: 1, userId: 7, name: "Bob", message: "hi", ts: 1 }, { id: 2, userId: 5, name: "Ada", message: "yo", ts: 2 }],
      adoptionPrompts: [{ requestId: 3, shellId: 1, fromUserId: 7, fromName: "Bob" }],
    };
    expect(diffEvents(prev, next)).toEqual([
      { type: "user_focused", data: { userName: "Ada", device: "Linux Web", focus: 1, userId: 5 } },
      { type: "user_joined", data: { userName: "Bob", userId: 7, device: "Mac Web", canWrite: false } },
      { type: "shells_changed", data: { shellIds: [1, 2], count: 2 } },
      { type: "session_renamed", data: { name: "renamed" } },
      { type: "chat", data: { userName: "Bob", message: "hi", mine: false, userId: 7 } },
      { type: "chat", data: { userName: "Ada", message: "yo", mine: true, userId: 5 } },
      { type: "adoption_requested", data: { shellId: 1, fromUserId: 7, fromName: "Bob" } },
    ]);
    expect(diffEvents(next, { ...next, users: [next.users[0]!] })).toEqual([{ type: "user_left", data: { userName: "Bob", userId: 7, device: "Mac Web" } }]);
  });

  it("reports a change of the published tunnels, and not a copy of the same list", () => {
    const s = new FakeSession();
    const tunnels = [{ port: 3000, url: "http://h/t/abc/p/3000/" }];
    const next = { ...s.state, tunnels };
    expect(diffEvents(s.state, next)).toEqual([{ type: "tunnels_changed", data: { tunnels } }]);
    expect(diffEvents(next, { ...next, tunnels: [...tunnels] })).toEqual([]);
  });

  it("says nothing while the initial state is still arriving", () => {
    const s = new FakeSession({ status: "connecting" });
    expect(diffEvents(s.state, { ...s.state, status: "online", users: [] })).toEqual([]);
  });
});

describe("SessionKvView (optimistic writes, last writer wins by server arrival)", () => {
  it("shows a local write until the server echoes it, then the server's value", () => {
    const server: Record<string, unknown> = {};
    const sent: string[] = [];
    const kv = new SessionKvView({ serverEntries: () => KvEntries.from(server), sendSet: (_p, k) => sent.push(`set ${k}`), sendDelete: (_p, k) => sent.push(`del ${k}`) });
    kv.set("p", "k", 1);
    kv.set("p", "k", 2);
    expect(kv.get("p", "k")).toBe(2);
    server.k = 9; // another client's write arrived first: ours (later) still wins locally
    kv.onDiff("p", "k", false);
    expect(kv.get("p", "k")).toBe(2);
    server.k = 1;
    kv.onDiff("p", "k", true);
    expect(kv.get("p", "k")).toBe(2); // one of ours still outstanding
    server.k = 2;
    kv.onDiff("p", "k", true);
    expect(kv.entries("p")).toEqual({ k: 2 });
    kv.delete("p", "missing");
    expect(sent).toEqual(["set k", "set k"]);
    expect(() => kv.set("p", "x", () => 1)).toThrow(/Invalid params/);
  });

  it("checks the quota to the byte as the store changes under it (remembered sizes stay exact)", () => {
    const server: Record<string, unknown> = {};
    const kv = new SessionKvView({ serverEntries: () => KvEntries.from(server), sendSet: () => {}, sendDelete: () => {} }, 100);
    // A naive reference: every entry of the current view measured afresh.
    const fits = (key: string, value: unknown) => {
      const view = kv.entries("p");
      delete view[key];
      return kvBytes(view) + kvEntryBytes(key, value) <= 100;
    };
    const attempt = (key: string, value: unknown) => {
      const expected = fits(key, value);
      let ok = true;
      try {
        kv.set("p", key, value);
      } catch (err) {
        expect((err as Error).message).toBe("Session KV quota exceeded (64 KiB per plugin per session)");
        ok = false;
      }
      expect([key, value, ok]).toEqual([key, value, expected]);
      return ok;
    };
    expect(attempt("a", "x".repeat(97))).toBe(true); // 1 + 99 = 100 bytes exactly
    expect(attempt("b", 1)).toBe(false);
    // Another client shrank "a" on the server after our write was echoed: the freed bytes count at once.
    kv.onDiff("p", "a", true);
    server.a = "é".repeat(10); // 1 + 2 + 20 bytes (UTF-8)
    kv.onDiff("p", "a", false);
    expect(attempt("b", "y".repeat(74))).toBe(true); // 23 + 1 + 76 = 100
    expect(attempt("c", 0)).toBe(false);
    kv.delete("p", "b");
    expect(attempt("c", [1, 2])).toBe(true);
    // Randomised against the reference: server writes and deletes, local writes, echoes.
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let i = 0; i < 2000; i++) {
      const key = "k" + rnd(6);
      const op = rnd(4);
      if (op === 0) {
        server[key] = "s".repeat(rnd(40));
        kv.onDiff("p", key, false);
      } else if (op === 1) {
        delete server[key];
        kv.onDiff("p", key, false);
      } else if (op === 2) {
        kv.delete("p", key);
      } else if (attempt(key, { v: "v".repeat(rnd(50)) }) && rnd(2) === 0) {
        server[key] = kv.get("p", key);
        kv.onDiff("p", key, true);
      }
    }
  });

  it("checks the quota in O(1): running byte totals, no walk over a full store, exact while the server copy moves", () => {
    const fill = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`fill${i}`, "x".repeat(90)]));
    let server = KvEntries.from(fill);
    const quota = server.bytes + 40;
    const kv = new SessionKvView({ serverEntries: () => server, sendSet: () => {}, sendDelete: () => {} }, quota);
    const walks = vi.spyOn(KvEntries.prototype, "forEach");
    const fits = (key: string, value: unknown) => {
      const view = kv.entries("p");
      delete view[key];
      return kvBytes(view) + kvEntryBytes(key, value) <= quota;
    };
    const ok = (key: string, value: unknown) => {
      try {
        kv.set("p", key, value);
        return true;
      } catch (err) {
        expect((err as Error).message).toBe("Session KV quota exceeded (64 KiB per plugin per session)");
        return false;
      }
    };
    expect(ok("a", "y".repeat(37))).toBe(true); // 1 + 39 = 40: exactly full
    expect(ok("b", 1)).toBe(false);
    expect(ok("a", "y".repeat(36))).toBe(true); // replacing frees the old size first
    expect(ok("b", 1)).toBe(false); // 39 + 2 = 41
    expect(walks).not.toHaveBeenCalled();
    walks.mockRestore();
    // Random: the server copy changes by diffs (own echoes and other clients') while writes are in flight.
    let seed = 11;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const inFlight: Array<[string, unknown, boolean]> = [["a", "y".repeat(37), false], ["a", "y".repeat(36), false]];
    const apply = (key: string, value: unknown, deleted: boolean, mine: boolean) => {
      server = server.withChanges([{ key, value, deleted }]);
      kv.onDiff("p", key, mine);
    };
    for (let i = 0; i < 3000; i++) {
      const key = rnd(3) === 0 ? `fill${rnd(600)}` : `k${rnd(6)}`;
      const op = rnd(5);
      if (op === 0) apply(key, "s".repeat(rnd(120)), false, false);
      else if (op === 1) apply(key, null, true, false);
      else if (op === 2 && inFlight.length > 0) {
        const [k, v, del] = inFlight.shift()!;
        apply(k, v, del, true); // our oldest write comes back
      } else if (op === 3) {
        const existed = kv.get("p", key) !== null;
        kv.delete("p", key);
        if (existed) inFlight.push([key, null, true]);
      } else {
        const value = { v: "v".repeat(rnd(60)) };
        const expected = fits(key, value);
        expect([i, key, ok(key, value)]).toEqual([i, key, expected]);
        if (expected) inFlight.push([key, value, false]);
      }
    }
  });
});

describe("local storage layers", () => {
  it("keeps secrets under taiku:plugin-secrets keyed by plugin id, and forgets a removed plugin", () => {
    const storage = new MemoryStorage();
    const local = new LocalPluginStore(storage);
    local.setSecret("a.b", "api_key", "k1");
    local.setSetting("a.b", "theme", "light");
    expect(JSON.parse(storage.getItem(SECRETS_KEY)!)).toEqual({ "a.b": { api_key: "k1" } });
    const m = registered({ id: "a.b", secrets: [{ key: "api_key", label: "K", required: true }], settings: [{ key: "theme", label: "T", type: "string", default: "dark" }] }).manifest;
    expect(local.missingSecrets(m)).toEqual([]);
    expect(local.getSettings(m)).toEqual({ theme: "light" });
    local.forget("a.b");
    expect(local.getSecret("a.b", "api_key")).toBeNull();
    expect(local.getSettings(m)).toEqual({ theme: "dark" });
    expect(local.missingSecrets(m)).toEqual(["api_key"]);
  });
});

describe("toolbar icons and hotkeys", () => {
  it("sanitises inline SVG: no scripts, foreignObject, handlers or external references", () => {
    const evil = `<svg viewBox="0 0 24 24" onload="alert(1)"><script>alert(2)</script><foreignObject><div>x</div></foreignObject><path d="M1 1" stroke="currentColor" style="x"/><use href="http://evil/x#a"/><rect fill="url(http://evil)"/></svg>`;
    expect(sanitizeSvg(evil)).toBe('<svg viewbox="0 0 24 24"><path d="M1 1" stroke="currentColor"/><rect/></svg>');
    expect(sanitizeSvg("<img src=x onerror=alert(1)>")).toBe("");
  });

  it("maps Cmd to Ctrl off macOS and skips hotkeys that collide with built-ins or earlier plugins", () => {
    const h = parseHotkey("Cmd+Shift+A")!;
    const ev = { key: "A", code: "KeyA", ctrlKey: true, metaKey: false, altKey: false, shiftKey: true };
    expect(matchesHotkey(ev, h, false)).toBe(true);
    expect(matchesHotkey(ev, h, true)).toBe(false);
    const hk = (id: string, hotkey: string) => ({ id, label: id, hotkey, action: { type: "event" } });
    const p1 = registered({ id: "p.one", permissions: ["hotkey.register"], hotkeys: [hk("a", "Cmd+Shift+A"), hk("f", "Ctrl+F")] });
    const p2 = registered({ id: "p.two", permissions: ["hotkey.register"], hotkeys: [hk("b", "Ctrl+Shift+A"), hk("c", "Alt+1")] });
    const warnings: string[] = [];
    const bound = bindHotkeys([p1, p2], false, (w) => warnings.push(w));
    expect(bound.map((b) => `${b.pluginId}:${b.hotkey.id}`)).toEqual(["p.one:a", "p.two:c"]);
    expect(warnings).toHaveLength(2);
  });
});

describe("PluginCatalog", () => {
  const manifests: Record<string, unknown> = {
    "/plugins/registry.json": { version: 1, plugins: [{ id: "t.cmd", name: "Cmd", version: "1.0.0", manifestUrl: "/plugins/t.cmd/manifest.json", builtIn: true }] },
    "/plugins/t.cmd/manifest.json": { id: "t.cmd", name: "Cmd", version: "1.0.0", permissions: ["session.read", "terminal.write", "ui.panel"], panels: [{ id: "p", title: "P", htmlUrl: "index.html" }] },
  };
  const fetch = async (url: string) => {
    const path = url.replace("http://localhost:8080", "");
    return path in manifests ? Response.json(manifests[path]) : new Response("nope", { status: 404 });
  };

  it("grants user-enabled plugins everything declared; session-managed ones lose high-risk permissions", async () => {
    const changes: string[] = [];
    const local = new LocalPluginStore(new MemoryStorage());
    const c = new PluginCatalog(fetch, local, "http://localhost:8080", (added, removed, changed) =>
      changes.push(`+${added.map((p) => p.manifest.id)} -${removed} ~${changed.map((p) => p.manifest.id)}`));
    await c.init(false);
    expect(c.registry.map((r) => r.id)).toEqual(["t.cmd"]);
    c.session = { "t.cmd": { manifest_url: "/plugins/t.cmd/manifest.json", enabled: true } };
    await c.recompute();
    expect(c.plugins.get("t.cmd")).toMatchObject({ serverManaged: true, grantedPermissions: ["session.read", "ui.panel"] });
    await c.setEnabled("t.cmd", "/plugins/t.cmd/manifest.json", true);
    expect(c.plugins.get("t.cmd")).toMatchObject({ serverManaged: true, grantedPermissions: ["session.read", "terminal.write", "ui.panel"] });
    expect(local.enablement()["t.cmd"]).toMatchObject({ enabled: true });
    c.session = {};
    await c.recompute();
    expect(c.plugins.get("t.cmd")?.serverManaged).toBe(false);
    await c.setEnabled("t.cmd", "/plugins/t.cmd/manifest.json", false);
    expect(c.plugins.size).toBe(0);
    expect(changes).toEqual(["+t.cmd - ~", "+ - ~t.cmd", "+ - ~t.cmd", "+ -t.cmd ~"]);
  });

  it("records a manifest that fails validation instead of loading it", async () => {
    const c = new PluginCatalog(fetch, new LocalPluginStore(new MemoryStorage()), "http://localhost:8080", () => {});
    await c.init(false);
    c.session = { "t.bad": { manifest_url: "/plugins/missing/manifest.json", enabled: true } };
    await c.recompute();
    expect(c.plugins.size).toBe(0);
    expect(c.errors.get("t.bad")).toMatch(/HTTP 404/);
  });
});
