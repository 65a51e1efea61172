/** Tables of the integrations (migration of the server's db): OAuth apps, connections, audit rows. */

export type ConnectionStatus = "INITIATED" | "ACTIVE" | "FAILED" | "EXPIRED" | "INACTIVE";

export interface AppsTable {
  toolkit: string;
  kind: string;
  config: string;
  client_secret: string | null;
  key_id: string | null;
  updated_at: number;
}
export interface ConnectionsTable {
  id: string;
  account_id: string;
  toolkit: string;
  status: string;
  tokens: string | null;
  pkce_verifier: string | null;
  key_id: string | null;
  state_hash: string | null;
  callback_url: string;
  expires_at: number | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}
export interface AuditTable {
  id: string;
  account_id: string;
  at: number;
  plugin_id: string | null;
  toolkit: string;
  action: string;
  outcome: string;
  status: number | null;
}
export interface IntegrationsTables {
  integration_apps: AppsTable;
  integration_connections: ConnectionsTable;
  integration_audit: AuditTable;
  server_meta: { key: string; value: string };
  user_plugins: { account_id: string; plugin_id: string; manifest: string | null };
}
