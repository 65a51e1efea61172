/** SessionSnapshotStore (seams.ts) on the session_snapshots table. */
import type { SessionSnapshotStore } from "../seams.js";
import type { Db } from "./database.js";

export function createSnapshotStore(db: Db, now: () => number): SessionSnapshotStore {
  return {
    async save(sessionId, ownerAccountId, snapshot) {
      const row = { owner_account_id: ownerAccountId, snapshot, updated_at: now() };
      await db
        .insertInto("session_snapshots")
        .values({ session_id: sessionId, ...row })
        .onConflict((oc) => oc.column("session_id").doUpdateSet(row))
        .execute();
    },
    async loadAll() {
      const rows = await db.selectFrom("session_snapshots").select(["session_id", "snapshot"]).execute();
      // better-sqlite3 hands back Buffers; expose plain Uint8Array views as the seam promises.
      return rows.map((r) => ({
        sessionId: r.session_id,
        snapshot: new Uint8Array(r.snapshot.buffer, r.snapshot.byteOffset, r.snapshot.byteLength),
      }));
    },
    async delete(sessionId) {
      await db.deleteFrom("session_snapshots").where("session_id", "=", sessionId).execute();
    },
  };
}
