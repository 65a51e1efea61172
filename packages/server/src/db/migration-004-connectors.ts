/**
 * Connector runtime and inbox tables (spec/connectors.md §7.3): instances, channels, store, locks,
 * callbacks, the task queue, webhooks and deliveries; inbox threads, links, notes, contacts.
 * The table definitions live in @taiku/connectors (`createConnectorSchema`) so its tests and this
 * server share one schema; this migration pins them at version 004.
 */
import type { Kysely, Migration } from "kysely";
import { createConnectorSchema } from "@taiku/connectors";

export const migration004Connectors: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await createConnectorSchema(db);
  },
};
