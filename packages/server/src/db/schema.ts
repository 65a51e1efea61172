/**
 * Kysely table types. Timestamps are epoch milliseconds (INTEGER on SQLite, BIGINT on Postgres);
 * booleans are 0/1 integers so the same queries run on both dialects without casts.
 */
import type { Generated } from "kysely";

export interface AccountsTable {
  id: string;
  name: string;
  email: string | null;
  password_hash: string | null;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  account_id: string;
  label: string;
  key_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked: number;
}

export interface WebSessionsTable {
  token_hash: string;
  account_id: string;
  expires_at: number;
}

export interface OneTimeCodesTable {
  code_hash: string;
  account_id: string;
  expires_at: number;
  used: number;
}

/** Device-code login (§11.3.8): the CLI polls with poll_hash; a signed-in browser approves user_code. */
export interface CliLoginsTable {
  poll_hash: string;
  user_code: string;
  device_name: string;
  hostname: string;
  os: string;
  expires_at: number;
  approved_account_id: string | null;
  consumed: number;
}

export interface DevicesTable {
  id: string;
  account_id: string;
  name: string;
  hostname: string;
  os: string;
  token_hash: string;
  created_at: number;
  /** Last heartbeat or daemon connection (migration 005); null until the device is first heard from. */
  last_seen_at: number | null;
  /** JSON `{ "<session url without fragment>": lastReportedMs }` (migration 005). */
  sessions: Generated<string>;
}

/** Ids of devices removed from the dashboard (migration 006): registering one again is refused. */
export interface RemovedDevicesTable {
  device_id: string;
  account_id: string;
  removed_at: number;
}

export interface SessionSnapshotsTable {
  session_id: string;
  owner_account_id: string | null;
  snapshot: Uint8Array;
  updated_at: number;
}

/** Small key/value table for server-wide facts (e.g. which account is the local owner). */
export interface ServerMetaTable {
  key: string;
  value: string;
}

/** User KV (§9.4): one JSON value per account, plugin and key; `bytes` = key + value UTF-8 bytes for quotas. */
export interface UserKvTable {
  account_id: string;
  plugin_id: string;
  key: string;
  value: string;
  bytes: number;
  updated_at: number;
}

/** Metadata of plugin files (§9.5); the bytes live in `$TAIKU_HOME/storage/<account>/<plugin>/<name>`. */
export interface PluginFilesTable {
  account_id: string;
  plugin_id: string;
  name: string;
  size: number;
  content_type: string;
  updated_at: number;
}

/** Per-user plugin enablement; `manifest` is the validated manifest JSON of installed (non-built-in) plugins. */
export interface UserPluginsTable {
  account_id: string;
  plugin_id: string;
  manifest_url: string;
  manifest: string | null;
  enabled: number;
  updated_at: number;
}

export interface Database {
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  web_sessions: WebSessionsTable;
  one_time_codes: OneTimeCodesTable;
  cli_logins: CliLoginsTable;
  devices: DevicesTable;
  removed_devices: RemovedDevicesTable;
  session_snapshots: SessionSnapshotsTable;
  server_meta: ServerMetaTable;
  user_kv: UserKvTable;
  plugin_files: PluginFilesTable;
  user_plugins: UserPluginsTable;
}
