import { describe, expect, it } from "vitest";
import { KyselyConnectorStorage, ManualClock } from "@taiku/connectors";
import { openDb } from "./helpers.js";

describe("KyselyConnectorStorage.activeInstanceOf", () => {
  it("returns the user's earliest active instance of that connector only", async () => {
    const { db } = await openDb();
    const clock = new ManualClock();
    const storage = new KyselyConnectorStorage(db, clock);
    const gone = await storage.instanceCreate({ twistId: "gh", ownerUserId: "u1" });
    await storage.instanceUpdate(gone.id, { status: "deactivated" });
    clock.advance(1);
    const paused = await storage.instanceCreate({ twistId: "gh", ownerUserId: "u1" });
    await storage.instanceUpdate(paused.id, { status: "suspended_auto" });
    clock.advance(1);
    await storage.instanceCreate({ twistId: "linear", ownerUserId: "u1" });
    await storage.instanceCreate({ twistId: "gh", ownerUserId: "u2" });
    expect(await storage.activeInstanceOf("u1", "gh")).toBeUndefined();
    clock.advance(1);
    const first = await storage.instanceCreate({ twistId: "gh", ownerUserId: "u1" });
    clock.advance(1);
    await storage.instanceCreate({ twistId: "gh", ownerUserId: "u1" });
    expect((await storage.activeInstanceOf("u1", "gh"))?.id).toBe(first.id);
    await db.destroy();
  });
});
