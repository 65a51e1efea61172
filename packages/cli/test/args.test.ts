import { describe, expect, it } from "vitest";
import { parseCommandLine, parseListen, type ShareArgs, type ServeArgs } from "../src/args.js";
import { CliError } from "../src/exit-codes.js";

const ctx = (env: NodeJS.ProcessEnv = {}) => ({ env, cwd: "/work/here", homedir: "/home/u" });
const share = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseCommandLine(argv, ctx(env)) as ShareArgs;
const serve = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseCommandLine(["serve", ...argv], ctx(env)) as ServeArgs;
const usageCode = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as CliError).exitCode;
  }
  return "no error";
};

describe("share args", () => {
  it("defaults: $SHELL else /bin/sh, cwd, no server", () => {
    expect(share([])).toMatchObject({ command: "share", shell: "/bin/sh", dir: "/work/here", enableReaders: false, tunnelPorts: [], plugins: [] });
    expect(share([], { SHELL: "/bin/zsh" }).shell).toBe("/bin/zsh");
    expect(share([]).server).toBeUndefined();
  });

  it("reads every flag", () => {
    const a = share(["--enable-readers", "--no-viewer-auth", "--server", "https://t.example/x", "--token", "tk_1", "--shell", "/bin/bash",
      "--dir", "/tmp", "--port", "9000", "--verbose", "--tunnel", "3000,3001", "--tunnel", "8000", "--plugin", "a", "--plugin", "b", "--no-fs", "--agents"]);
    expect(a).toEqual({
      command: "share", enableReaders: true, noViewerAuth: true, server: "https://t.example", token: "tk_1", shell: "/bin/bash", dir: "/tmp",
      port: 9000, verbose: true, quiet: false, tunnelPorts: [3000, 3001, 8000], plugins: ["a", "b"], noFs: true, agents: true,
    });
  });

  it("takes TAIKU_SERVER and TAIKU_TOKEN from the environment, flags win", () => {
    expect(share([], { TAIKU_SERVER: "http://h:1", TAIKU_TOKEN: "tk_env" })).toMatchObject({ server: "http://h:1", token: "tk_env" });
    expect(share(["--token", "tk_flag"], { TAIKU_TOKEN: "tk_env" }).token).toBe("tk_flag");
  });

  it("rejects bad input with usage status 2", () => {
    expect(usageCode(() => share(["--bogus"]))).toBe(2);
    expect(usageCode(() => share(["--port", "70000"]))).toBe(2);
    expect(usageCode(() => share(["--server", "ftp://x"]))).toBe(2);
    expect(usageCode(() => share(["--tunnel", "0"]))).toBe(2);
    expect(usageCode(() => share(["--verbose", "--quiet"]))).toBe(2);
    expect(usageCode(() => parseCommandLine(["frobnicate"], ctx()))).toBe(2);
  });
});

describe("serve args", () => {
  it("defaults to 0.0.0.0:8080 and ~/.taiku", () => {
    expect(serve([])).toEqual({ command: "serve", home: "/home/u/.taiku", host: "0.0.0.0", port: 8080, viewerAuth: false, verbose: false });
  });

  it("honours TAIKU_HOME, TAIKU_LISTEN, TAIKU_PUBLIC_URL, TAIKU_VIEWER_AUTH; flags win", () => {
    const env = { TAIKU_HOME: "/srv/t", TAIKU_LISTEN: "127.0.0.1:9999", TAIKU_PUBLIC_URL: "https://t.example", TAIKU_VIEWER_AUTH: "on" };
    expect(serve([], env)).toMatchObject({ home: "/srv/t", host: "127.0.0.1", port: 9999, publicUrl: "https://t.example", viewerAuth: true });
    expect(serve(["--port", "1234", "--host", "::1", "--public-url", "http://x:1"], env)).toMatchObject({ host: "::1", port: 1234, publicUrl: "http://x:1" });
  });

  it("TLS: cert+key together, or self-signed", () => {
    expect(serve(["--tls-cert", "c.pem", "--tls-key", "k.pem"]).tls).toEqual({ cert: "c.pem", key: "k.pem" });
    expect(serve(["--self-signed"]).tls).toEqual({ selfSigned: true });
    expect(usageCode(() => serve(["--tls-cert", "c.pem"]))).toBe(2);
    expect(usageCode(() => serve(["--self-signed", "--tls-cert", "c", "--tls-key", "k"]))).toBe(2);
    expect(usageCode(() => serve([], { TAIKU_VIEWER_AUTH: "maybe" }))).toBe(2);
  });

  it("parses TAIKU_LISTEN forms", () => {
    expect(parseListen("0.0.0.0:80")).toEqual({ host: "0.0.0.0", port: 80 });
    expect(parseListen(":8080")).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(parseListen("[::1]:8443")).toEqual({ host: "::1", port: 8443 });
    expect(() => parseListen("nope")).toThrow(CliError);
  });
});

describe("other commands", () => {
  it("version, help, account commands", () => {
    expect(parseCommandLine(["--version"], ctx())).toEqual({ command: "version" });
    expect(parseCommandLine(["--help"], ctx())).toEqual({ command: "help" });
    expect(parseCommandLine(["serve", "--help"], ctx())).toEqual({ command: "help", topic: "serve" });
    expect(parseCommandLine(["login", "--server", "http://s:1"], ctx())).toEqual({ command: "login", server: "http://s:1" });
    expect(parseCommandLine(["whoami"], ctx({ TAIKU_TOKEN: "tk" }))).toEqual({ command: "whoami", token: "tk" });
  });
});
