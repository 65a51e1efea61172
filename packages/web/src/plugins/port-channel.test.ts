import { describe, expect, it } from "vitest";
import { PortChannel } from "./port-channel.js";
import { FakePort } from "./testing.js";

describe("PortChannel", () => {
  it("sends one envelope per message until the client batched, then one message per task", async () => {
    const port = new FakePort();
    const ch = new PortChannel(port);
    ch.send({ n: 1 });
    ch.send({ n: 2 });
    expect(port.messages).toEqual([{ n: 1 }, { n: 2 }]);
    expect(ch.unpack([{ a: 1 }])).toEqual([{ a: 1 }]);
    ch.send({ n: 3 });
    ch.send({ n: 4 });
    expect(port.messages).toHaveLength(2);
    await Promise.resolve();
    expect(port.messages[2]).toEqual([{ n: 3 }, { n: 4 }]);
    ch.send({ n: 5 });
    await Promise.resolve();
    expect(port.messages[3]).toEqual({ n: 5 });
  });

  it("an uncloneable message in a batch loses only itself; a closed port takes nothing", async () => {
    const port = new FakePort();
    const ch = new PortChannel(port);
    ch.unpack([{}]);
    ch.send({ n: 1 });
    ch.send({ f: () => 1 });
    ch.send({ n: 2 });
    await Promise.resolve();
    expect(port.messages).toEqual([{ n: 1 }, { n: 2 }]);
    ch.close();
    expect(port.closed).toBe(true);
    ch.send({ n: 3 });
    await Promise.resolve();
    expect(port.messages).toHaveLength(2);
  });

  it("unpacks one envelope, or an array of 1–64; anything else is refused", () => {
    const ch = new PortChannel(new FakePort());
    expect(ch.unpack({ a: 1 })).toEqual([{ a: 1 }]);
    expect(ch.batches).toBe(false);
    expect(ch.unpack([])).toBeNull();
    expect(ch.unpack(new Array(65).fill({}))).toBeNull();
    expect(ch.batches).toBe(false);
    expect(ch.unpack(new Array(64).fill({}))).toHaveLength(64);
    expect(ch.batches).toBe(true);
  });
});
