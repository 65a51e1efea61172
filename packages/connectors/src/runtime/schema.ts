/**
 * Tables of the connector runtime (spec §7.3, trimmed to what this runtime implements) and of the
 * inbox data plane. Plain Kysely schema builder, so the same definition runs on SQLite and
 * Postgres. The server calls `createConnectorSchema` from its numbered migration.
 */
import { sql, type Kysely } from "kysely";

export interface ConnectorTables {
  connector_instances: {
    id: string; twist_id: string; owner_user_id: string; status: string; account_name: string | null;
    options: string; needs_reauth_at: number | null; needs_reauth_reason: string | null;
    auto_enable_new_channels: number; created_at: number; updated_at: number;
  };
  connector_channels: {
    instance_id: string; channel_id: string; parent_channel_id: string | null; title: string;
    enabled_by_default: number | null; link_types: string | null; enabled: number; enabled_by_user_id: string | null;
    observe_only: number; syncing_since: number | null; initial_sync_completed_at: number | null;
    last_error: string | null; removed_at: number | null; position: number; updated_at: number;
  };
  connector_kv: { namespace: string; key: string; value: string; size_bytes: number };
  connector_locks: { namespace: string; key: string; expires_at: number };
  connector_callbacks: { token: string; instance_id: string; tool_path: string; method_name: string; args: string; kind: string; created_at: number };
  connector_tasks: {
    id: string; seq: number; instance_id: string; tool_path: string; callback_token: string | null; method_name: string | null; args: string | null;
    task_key: string | null; kind: string; run_at: number; interval_ms: number | null; status: string; attempts: number; max_attempts: number;
    lease_until: number | null; last_error: string | null; cancel_token: string | null; delivery_id: string | null; budget_overruns: number; created_at: number;
  };
  connector_webhooks: { id: string; public_token: string; instance_id: string; tool_path: string; callback_token: string; async: number; deleted_at: number | null; created_at: number };
  connector_deliveries: { id: string; webhook_id: string; received_at: number; method: string; headers: string; query: string; raw_body: string; status: string };
  inbox_threads: { id: string; title: string; preview: string | null; archived: number; access: string; created_at: number; updated_at: number };
  inbox_thread_members: { thread_id: string; user_id: string };
  inbox_thread_state: { thread_id: string; user_id: string; unread: number; read_source: string | null; todo: number; todo_date: string | null; todo_source: string | null };
  inbox_links: {
    id: string; thread_id: string; twist_id: string; instance_id: string; primary_source: string; type: string | null; status: string | null;
    title: string; preview: string | null; author_contact_id: string | null; assignee_contact_id: string | null; meta: string | null;
    source_url: string | null; channel_id: string | null; priority: number; actions: string | null; signals: string | null; facets: string | null;
    updated_by_kind: string; updated_by_id: string; archived: number; created_at: number; updated_at: number;
  };
  inbox_link_sources: { source: string; link_id: string };
  inbox_notes: {
    id: string; thread_id: string; link_id: string; key: string | null; author_contact_id: string | null; author_user_id: string | null;
    content: string | null; content_type: string; external_content_hash: string | null; actions: string | null; re_note_id: string | null;
    created_by_instance_id: string | null; delivery_error: string | null; archived: number; created_at: number; updated_at: number;
  };
  inbox_contacts: { id: string; email: string | null; name: string | null; avatar: string | null; automated: number; name_tier: string };
  inbox_contact_accounts: { instance_id: string; account_id: string; contact_id: string; descriptor: string | null };
  inbox_reactions: { note_id: string; emoji: string; actor_id: string; source_instance_id: string | null };
  inbox_custom_emoji: { id: string; provider: string; workspace: string; name: string; image_url: string | null; alias_of: string | null };
}

 
export async function createConnectorSchema(db: Kysely<any>): Promise<void> {
  const s = db.schema;
  await s.createTable("connector_instances")
    .addColumn("id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("twist_id", "varchar(64)", (c) => c.notNull())
    .addColumn("owner_user_id", "varchar(64)", (c) => c.notNull())
    .addColumn("status", "varchar(24)", (c) => c.notNull())
    .addColumn("account_name", "text")
    .addColumn("options", "text", (c) => c.notNull())
    .addColumn("needs_reauth_at", "bigint")
    .addColumn("needs_reauth_reason", "text")
    .addColumn("auto_enable_new_channels", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await s.createIndex("connector_instances_owner").on("connector_instances").columns(["owner_user_id", "twist_id"]).execute();
  await s.createTable("connector_channels")
    .addColumn("instance_id", "varchar(64)", (c) => c.notNull())
    .addColumn("channel_id", "varchar(512)", (c) => c.notNull())
    .addColumn("parent_channel_id", "varchar(512)")
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("enabled_by_default", "integer")
    .addColumn("link_types", "text")
    .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("enabled_by_user_id", "varchar(64)")
    .addColumn("observe_only", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("syncing_since", "bigint")
    .addColumn("initial_sync_completed_at", "bigint")
    .addColumn("last_error", "text")
    .addColumn("removed_at", "bigint")
    .addColumn("position", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("connector_channels_pk", ["instance_id", "channel_id"])
    .execute();
  await s.createTable("connector_kv")
    .addColumn("namespace", "varchar(256)", (c) => c.notNull())
    .addColumn("key", "varchar(512)", (c) => c.notNull())
    .addColumn("value", "text", (c) => c.notNull())
    .addColumn("size_bytes", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("connector_kv_pk", ["namespace", "key"])
    .execute();
  await s.createTable("connector_locks")
    .addColumn("namespace", "varchar(256)", (c) => c.notNull())
    .addColumn("key", "varchar(512)", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("connector_locks_pk", ["namespace", "key"])
    .execute();
  await s.createTable("connector_callbacks")
    .addColumn("token", "varchar(64)", (c) => c.primaryKey())
    .addColumn("instance_id", "varchar(64)", (c) => c.notNull())
    .addColumn("tool_path", "varchar(256)", (c) => c.notNull())
    .addColumn("method_name", "varchar(256)", (c) => c.notNull())
    .addColumn("args", "text", (c) => c.notNull())
    .addColumn("kind", "varchar(16)", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await s.createIndex("connector_callbacks_instance").on("connector_callbacks").columns(["instance_id", "tool_path"]).execute();
  await s.createTable("connector_tasks")
    .addColumn("id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("seq", "bigint", (c) => c.notNull())
    .addColumn("instance_id", "varchar(64)", (c) => c.notNull())
    .addColumn("tool_path", "varchar(256)", (c) => c.notNull())
    .addColumn("callback_token", "varchar(64)")
    .addColumn("method_name", "varchar(256)")
    .addColumn("args", "text")
    .addColumn("task_key", "varchar(512)")
    .addColumn("kind", "varchar(16)", (c) => c.notNull())
    .addColumn("run_at", "bigint", (c) => c.notNull())
    .addColumn("interval_ms", "bigint")
    .addColumn("status", "varchar(16)", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("max_attempts", "integer", (c) => c.notNull())
    .addColumn("lease_until", "bigint")
    .addColumn("last_error", "text")
    .addColumn("cancel_token", "varchar(64)")
    .addColumn("delivery_id", "varchar(64)")
    .addColumn("budget_overruns", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await s.createIndex("connector_tasks_due").on("connector_tasks").columns(["status", "run_at", "seq"]).execute();
  await s.createIndex("connector_tasks_cancel").on("connector_tasks").column("cancel_token").execute();
  await s.createIndex("connector_tasks_instance").on("connector_tasks").columns(["instance_id", "tool_path", "status"]).execute();
  // At most one pending task per (owner, key): racing scheduleTask callers converge on one row.
  await s.createIndex("connector_tasks_key").unique().on("connector_tasks").columns(["instance_id", "tool_path", "task_key"])
    .where(sql.ref("status"), "=", "pending").where(sql.ref("task_key"), "is not", null).execute();
  await s.createTable("connector_webhooks")
    .addColumn("id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("public_token", "varchar(64)", (c) => c.notNull().unique())
    .addColumn("instance_id", "varchar(64)", (c) => c.notNull())
    .addColumn("tool_path", "varchar(256)", (c) => c.notNull())
    .addColumn("callback_token", "varchar(64)", (c) => c.notNull())
    .addColumn("async", "integer", (c) => c.notNull())
    .addColumn("deleted_at", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await s.createTable("connector_deliveries")
    .addColumn("id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("webhook_id", "varchar(64)", (c) => c.notNull())
    .addColumn("received_at", "bigint", (c) => c.notNull())
    .addColumn("method", "varchar(16)", (c) => c.notNull())
    .addColumn("headers", "text", (c) => c.notNull())
    .addColumn("query", "text", (c) => c.notNull())
    .addColumn("raw_body", "text", (c) => c.notNull())
    .addColumn("status", "varchar(16)", (c) => c.notNull())
    .execute();

  await s.createTable("inbox_threads")
    .addColumn("id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("preview", "text")
    .addColumn("archived", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("access", "varchar(16)", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await s.createTable("inbox_thread_members")
    .addColumn("thread_id", "varchar(64)", (c) => c.notNull())
    .addColumn("user_id", "varchar(64)", (c) => c.notNull())
    .addPrimaryKeyConstraint("inbox_thread_members_pk", ["user_id", "thread_id"])
    .execute();
  await s.createTable("inbox_thread_state")
    .addColumn("thread_id", "varchar(64)", (c) => c.notNull())
    .addColumn("user_id", "varchar(64)", (c) => c.notNull())
    .addColumn("unread", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("read_source", "varchar(64)")
    .addColumn("todo", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("todo_date", "varchar(32)")
    .addColumn("todo_source", "varchar(64)")
    .addPrimaryKeyConstraint("inbox_thread_state_pk", ["thread_id", "user_id"])
    .execute();
  await s.createTable("inbox_links")
    .addColumn("id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("thread_id", "varchar(64)", (c) => c.notNull())
    .addColumn("twist_id", "varchar(64)", (c) => c.notNull())
    .addColumn("instance_id", "varchar(64)", (c) => c.notNull())
    .addColumn("primary_source", "varchar(512)", (c) => c.notNull())
    .addColumn("type", "varchar(64)")
    .addColumn("status", "varchar(128)")
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("preview", "text")
    .addColumn("author_contact_id", "varchar(64)")
    .addColumn("assignee_contact_id", "varchar(64)")
    .addColumn("meta", "text")
    .addColumn("source_url", "text")
    .addColumn("channel_id", "varchar(512)")
    .addColumn("priority", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("actions", "text")
    .addColumn("signals", "text")
    .addColumn("facets", "text")
    .addColumn("updated_by_kind", "varchar(16)", (c) => c.notNull())
    .addColumn("updated_by_id", "varchar(64)", (c) => c.notNull())
    .addColumn("archived", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await s.createIndex("inbox_links_thread").on("inbox_links").column("thread_id").execute();
  await s.createIndex("inbox_links_instance_channel").on("inbox_links").columns(["instance_id", "channel_id"]).execute();
  await s.createTable("inbox_link_sources")
    .addColumn("source", "varchar(512)", (c) => c.primaryKey())
    .addColumn("link_id", "varchar(64)", (c) => c.notNull())
    .execute();
  await s.createTable("inbox_notes")
    .addColumn("id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("thread_id", "varchar(64)", (c) => c.notNull())
    .addColumn("link_id", "varchar(64)", (c) => c.notNull())
    .addColumn("key", "varchar(512)")
    .addColumn("author_contact_id", "varchar(64)")
    .addColumn("author_user_id", "varchar(64)")
    .addColumn("content", "text")
    .addColumn("content_type", "varchar(16)", (c) => c.notNull())
    .addColumn("external_content_hash", "varchar(64)")
    .addColumn("actions", "text")
    .addColumn("re_note_id", "varchar(64)")
    .addColumn("created_by_instance_id", "varchar(64)")
    .addColumn("delivery_error", "text")
    .addColumn("archived", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await s.createIndex("inbox_notes_key").unique().on("inbox_notes").columns(["thread_id", "link_id", "key"]).where(sql.ref("key"), "is not", null).execute();
  await s.createIndex("inbox_notes_thread").on("inbox_notes").columns(["thread_id", "created_at"]).execute();
  await s.createTable("inbox_contacts")
    .addColumn("id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("email", "varchar(320)")
    .addColumn("name", "text")
    .addColumn("avatar", "text")
    .addColumn("automated", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("name_tier", "varchar(16)", (c) => c.notNull())
    .execute();
  await s.createIndex("inbox_contacts_email").on("inbox_contacts").column("email").execute();
  await s.createTable("inbox_contact_accounts")
    .addColumn("instance_id", "varchar(64)", (c) => c.notNull())
    .addColumn("account_id", "varchar(256)", (c) => c.notNull())
    .addColumn("contact_id", "varchar(64)", (c) => c.notNull())
    .addColumn("descriptor", "text")
    .addPrimaryKeyConstraint("inbox_contact_accounts_pk", ["instance_id", "account_id"])
    .execute();
  await s.createTable("inbox_reactions")
    .addColumn("note_id", "varchar(64)", (c) => c.notNull())
    .addColumn("emoji", "varchar(128)", (c) => c.notNull())
    .addColumn("actor_id", "varchar(64)", (c) => c.notNull())
    .addColumn("source_instance_id", "varchar(64)")
    .addPrimaryKeyConstraint("inbox_reactions_pk", ["note_id", "emoji", "actor_id"])
    .execute();
  await s.createTable("inbox_custom_emoji")
    .addColumn("id", "varchar(256)", (c) => c.primaryKey())
    .addColumn("provider", "varchar(32)", (c) => c.notNull())
    .addColumn("workspace", "varchar(128)", (c) => c.notNull())
    .addColumn("name", "varchar(128)", (c) => c.notNull())
    .addColumn("image_url", "text")
    .addColumn("alias_of", "text")
    .execute();
}
