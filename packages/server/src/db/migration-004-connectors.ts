/**
 * Connector runtime and inbox tables (spec/connectors.md §7.3): instances, channels, store, locks,
 * callbacks, the task queue, webhooks and deliveries; inbox threads, links, notes, contacts.
 * The table definitions live in @taiku/connectors (`createConnectorSchema`) so its tests and this
 * server share one schema; this migration pins them at version 004. The package is imported when the
 * migration runs, so a server whose database is up to date does not load the connector runtime.
 */
import type { Kysely, Migration } from "kysely";

export const migration004Connectors: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const { createConnectorSchema } = await import("@taiku/connectors");
    await createConnectorSchema(db);
  },
};
