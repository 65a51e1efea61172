/**
 * Connections and channels (spec §2.9, §7.7, §7.8): connect an instance, list and persist its channels,
 * enable and disable them (the state is written at once, the connector's hook runs as a task), recover
 * after re-auth, suspend, uninstall.
 */
import { ActorType, type Actor, type Authorization, type AuthToken, type Channel, type SyncContext } from "../sdk/types.js";
import { enqueueLifecycle, type RuntimeHost } from "./host.js";
import type { ChannelRow, InstanceRow } from "./storage.js";

/** Connect: create the instance, activate, list channels, persist them, apply the default selection. */
export async function connect(rt: RuntimeHost, args: { twistId: string; ownerUserId: string; authorization?: Authorization | null; actor?: Actor; options?: Record<string, unknown> }): Promise<{ instance: InstanceRow; channels: ChannelRow[] }> {
  const meta = rt.metadata(args.twistId);
  if (meta.provider) {
    // An OAuth connector needs the user's provider connection first (the integrations vault).
    const probe = { id: "", twist_id: args.twistId, owner_user_id: args.ownerUserId } as InstanceRow;
    if (!(await rt.tokens.token({ instance: probe, userId: args.ownerUserId, provider: String(meta.provider) }))) {
      throw new Error(`No ${String(meta.provider)} connection for this user`);
    }
  }
  const instance = await rt.storage.instanceCreate({ twistId: args.twistId, ownerUserId: args.ownerUserId, options: args.options ?? {}, autoEnableNewChannels: meta.autoEnableNewChannelsByDefault === true });
  const actor: Actor = args.actor ?? { id: args.ownerUserId, type: ActorType.User };
  await rt.call(instance.id, "activate", [{ ...(args.authorization ? { auth: args.authorization } : {}), actor }]);
  const channels = await refreshChannels(rt, instance.id, { authorization: args.authorization ?? null, initial: true });
  return { instance: (await rt.storage.instanceGet(instance.id))!, channels };
}

function tokenFor(rt: RuntimeHost, instance: InstanceRow, provider: string | undefined): Promise<AuthToken | null> {
  return provider ? rt.tokens.token({ instance, userId: instance.owner_user_id, provider }) : Promise.resolve(null);
}

/** getChannels → channel rows (flattened, parents kept); new channels auto-enabled per preference. */
export async function refreshChannels(rt: RuntimeHost, instanceId: string, opts: { authorization?: Authorization | null; initial?: boolean } = {}): Promise<ChannelRow[]> {
  const instance = (await rt.storage.instanceGet(instanceId))!;
  const meta = rt.metadata(instance.twist_id);
  const token = await tokenFor(rt, instance, meta.provider as string | undefined);
  const auth = opts.authorization ?? (meta.provider ? { provider: meta.provider as Authorization["provider"], scopes: token?.scopes ?? [], actor: { id: instance.owner_user_id, type: ActorType.User } } : null);
  const listed = await rt.call<Channel[]>(instanceId, "getChannels", [meta.provider ? auth : null, token]);
  if (meta.singleChannel && listed.length !== 1) throw new Error("A singleChannel connector must return exactly one channel");
  const before = new Map((await rt.storage.channelList(instanceId)).map((c) => [c.channel_id, c]));
  const flat: Array<{ c: Channel; parent: string | null }> = [];
  const walk = (cs: Channel[], parent: string | null) => { for (const c of cs) { flat.push({ c, parent }); if (c.children) walk(c.children, c.id); } };
  walk(listed, null);
  await rt.storage.channelUpsert(flat.map(({ c, parent }, i) => ({
    instance_id: instanceId, channel_id: c.id, parent_channel_id: parent, title: c.title,
    enabled_by_default: c.enabledByDefault === undefined ? null : c.enabledByDefault ? 1 : 0, link_types: c.linkTypes ? JSON.stringify(c.linkTypes) : null, position: i,
  })));
  const seen = new Set(flat.map((f) => f.c.id));
  for (const [id, row] of before) {
    if (!seen.has(id) && row.removed_at === null) {
      await rt.storage.channelUpdate(instanceId, id, { removed_at: rt.now() });
      if (row.enabled) await disableChannel(rt, instanceId, id);
    }
  }
  for (const { c } of flat) {
    const isNew = !before.has(c.id);
    const auto = meta.singleChannel || (meta.hiddenChannels && c.enabledByDefault !== false) || (!opts.initial && isNew && instance.auto_enable_new_channels === 1);
    if (auto && isNew) await enableChannel(rt, instanceId, c.id, instance.owner_user_id);
  }
  if (opts.initial || !instance.account_name) {
    const name = await rt.call<string | null>(instanceId, "getAccountName", [auth, token]).catch(() => null);
    if (name) await rt.storage.instanceUpdate(instanceId, { account_name: name });
  }
  return rt.storage.channelList(instanceId);
}

/** The SDK `Channel` a stored row stands for. */
function channelOf(row: ChannelRow): Channel {
  const channel: Channel = { id: row.channel_id, title: row.title };
  if (row.enabled_by_default !== null) channel.enabledByDefault = row.enabled_by_default === 1;
  if (row.link_types) channel.linkTypes = JSON.parse(row.link_types) as Channel["linkTypes"];
  return channel;
}

async function channelObject(rt: RuntimeHost, instanceId: string, channelId: string): Promise<Channel> {
  const row = await rt.storage.channelGet(instanceId, channelId);
  if (!row) throw new Error(`Unknown channel ${channelId}`);
  return channelOf(row);
}

/** Persists the enable synchronously, then queues onChannelEnabled as its own execution (§2.7 Decision). */
export async function enableChannel(rt: RuntimeHost, instanceId: string, channelId: string, userId: string, context: SyncContext = {}): Promise<void> {
  const channel = await channelObject(rt, instanceId, channelId);
  await rt.storage.channelUpdate(instanceId, channelId, { enabled: 1, enabled_by_user_id: userId, syncing_since: rt.now(), initial_sync_completed_at: null, last_error: null, observe_only: context.observeOnly ? 1 : 0 });
  await enqueueLifecycle(rt, instanceId, "onChannelEnabled", Object.keys(context).length ? [channel, context] : [channel]);
}

export async function disableChannel(rt: RuntimeHost, instanceId: string, channelId: string): Promise<void> {
  const channel = await channelObject(rt, instanceId, channelId);
  await rt.storage.channelUpdate(instanceId, channelId, { enabled: 0, syncing_since: null });
  await enqueueLifecycle(rt, instanceId, "onChannelDisabled", [channel], 1);
}

/** After a successful re-auth: clear the flag and recover every enabled channel (§7.7). */
export async function reauthorized(rt: RuntimeHost, instanceId: string): Promise<void> {
  await rt.storage.instanceUpdate(instanceId, { needs_reauth_at: null, needs_reauth_reason: null });
  let owner: string | undefined; // read once, and only when a channel has no enabling user
  for (const ch of await rt.storage.channelList(instanceId)) {
    if (ch.enabled) await enableChannel(rt, instanceId, ch.channel_id, ch.enabled_by_user_id ?? (owner ??= (await rt.storage.instanceGet(instanceId))!.owner_user_id), { recovering: true });
  }
}

export async function uninstall(rt: RuntimeHost, instanceId: string): Promise<void> {
  for (const ch of await rt.storage.channelList(instanceId)) if (ch.enabled) {
    await rt.storage.channelUpdate(instanceId, ch.channel_id, { enabled: 0, syncing_since: null });
    await rt.call(instanceId, "onChannelDisabled", [channelOf(ch)]).catch(() => undefined);
  }
  await rt.call(instanceId, "deactivate", []).catch(() => undefined);
  await rt.storage.db.deleteFrom("connector_tasks").where("instance_id", "=", instanceId).execute();
  await rt.storage.db.updateTable("connector_webhooks").set({ deleted_at: rt.now() }).where("instance_id", "=", instanceId).execute();
  await rt.storage.db.deleteFrom("connector_callbacks").where("instance_id", "=", instanceId).execute();
  await rt.storage.instanceUpdate(instanceId, { status: "deactivated" });
}

export async function suspend(rt: RuntimeHost, instanceId: string, manual: boolean): Promise<void> {
  await rt.storage.instanceUpdate(instanceId, { status: manual ? "suspended_manual" : "suspended_auto" });
}
export async function unsuspend(rt: RuntimeHost, instanceId: string): Promise<void> {
  await rt.storage.instanceUpdate(instanceId, { status: "active" });
  rt.wake();
}
