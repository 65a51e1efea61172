/** SideFrames (side-frames.ts): titles, agent telemetry and alias calls opened beside a shell's output. */
import { aad, importAeadKey, randomBytes, sealFrame } from "@taiku/crypto";
import { encodeCbor, type ServerMsg } from "@taiku/protocol";
import { describe, expect, it } from "vitest";
import { SideFrames, type AgentEvent } from "./side-frames.js";

const SID = "sidetest";

describe("SideFrames", () => {
  it("goes on with later agent messages after a sink failed on one", async () => {
    const key = await importAeadKey(randomBytes(32));
    const msg = async (seq: number): Promise<ServerMsg<"agent">> => {
      const f = await sealFrame(key, encodeCbor({ type: "agent.tool_call", data: { n: seq }, timestamp: seq }), aad.agent(SID, 1, seq));
      return { t: "agent", shellId: 1, frames: [{ seq, ...f }] } as ServerMsg<"agent">;
    };
    const got: AgentEvent[] = [];
    let calls = 0;
    const side = new SideFrames(SID, () => [key], {
      title: () => {},
      agent: (e) => {
        if (++calls === 1) throw new Error("listener broke");
        got.push(e);
      },
      alias: () => {},
      failed: () => {},
      now: () => 0,
    });
    await expect(side.agent(await msg(1))).rejects.toThrow("listener broke");
    await side.agent(await msg(2));
    expect(got).toEqual([{ shellId: 1, type: "agent.tool_call", data: { n: 2 }, timestamp: 2 }]);
  });
});
