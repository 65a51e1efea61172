/**
 * `Connector<TSelf>` (§2.4–§2.8): a twist that syncs an external service. Channel lifecycle,
 * write-back hooks and the metadata fields the runtime reads off a constructed instance.
 */
import { Twist } from "./twist.js";
import type {
  Actor, ActorId, Authorization, AuthProvider, AuthToken, Channel, Contact, CreateLinkDraft, CreateLinkResult,
  DownloadAttachmentResult, Link, LinkTypeConfig, NewLinkWithNotes, Note, NoteWriteBackResult, ProductInfo,
  ReactionCapabilities, ScopeConfig, SyncContext, Thread,
} from "./types.js";

export abstract class Connector<TSelf> extends Twist<TSelf> {
  /** Identifies connector classes without instanceof (which fails across module boundaries). */
  static readonly isConnector = true;
  /** When true, user notes on threads this connector created are dispatched to onNoteCreated. */
  static readonly handleReplies?: boolean;

  readonly provider?: AuthProvider;
  readonly scopes?: string[] | ScopeConfig;
  readonly access?: string[];
  readonly shared?: boolean;
  readonly keyOption?: string;
  readonly singleChannel?: boolean;
  readonly channelNoun?: { singular: string; plural: string };
  readonly autoEnableNewChannelsByDefault?: boolean;
  readonly fixedChannels?: boolean;
  readonly hiddenChannels?: boolean;
  readonly autoThreading?: boolean;
  readonly autoThreadingByDefault?: boolean;
  readonly linkTypes?: LinkTypeConfig[];
  readonly reactionCapabilities?: ReactionCapabilities;
  readonly dynamicLinkTypes?: boolean;
  readonly products?: ProductInfo[];

  /** Display label for the connection (organisation, workspace). */
  async getAccountName(_auth: Authorization | null, _token: AuthToken | null): Promise<string | null> {
    return null;
  }
  async getAccountIdentity(): Promise<{ email: string } | null> {
    return null;
  }

  abstract getChannels(auth: Authorization | null, token: AuthToken | null): Promise<Channel[]>;
  /** Idempotent: overwrite state unconditionally; queue work with runTask. */
  abstract onChannelEnabled(channel: Channel, context?: SyncContext): Promise<void>;
  abstract onChannelDisabled(channel: Channel): Promise<void>;

  override async activate(_context: { auth?: Authorization; actor?: Actor } = {}): Promise<void> {}

  override async onLinkUpdated(_link: Link): Promise<void> {}
  async onCreateLink(_draft: CreateLinkDraft): Promise<CreateLinkResult | NewLinkWithNotes | null> {
    return null;
  }
  override async onNoteCreated(_note: Note, _thread?: Thread): Promise<string | NoteWriteBackResult | void> {}
  async onNoteUpdated(_note: Note, _thread: Thread): Promise<NoteWriteBackResult | void> {}
  async onThreadRead(_thread: Thread, _actor: Actor, _unread: boolean): Promise<void> {}
  async onContactsChanged(
    _thread: Thread,
    _changes: {
      added: { contact: Contact; role: string | null }[];
      removed: { contact: Contact; role: string | null }[];
      changed: { contact: Contact; from: string | null; to: string | null }[];
    },
  ): Promise<void> {}
  async onThreadToDo(_thread: Thread, _actor: Actor, _todo: boolean, _options: { date?: Date }): Promise<void> {}
  async onScheduleContactUpdated(_thread: Thread, _scheduleId: string, _contactId: ActorId, _status: "attend" | "skip" | null, _actor: Actor): Promise<void> {}
  async onNoteReactionChanged(_note: Note, _thread: Thread, _actor: Actor, _emoji: string, _added: boolean): Promise<void> {}
  async downloadAttachment(_ref: string, _linkMeta?: Record<string, unknown> | null): Promise<DownloadAttachmentResult> {
    throw new Error("downloadAttachment is not implemented by this connector");
  }
}

/** @deprecated leftover alias from a rename. */
export const Source = Connector;

/** True for a connector class (the static marker, or a class named Connector up the prototype chain). */
export function isConnectorClass(cls: unknown): boolean {
  for (let c = cls as { isConnector?: boolean; name?: string } | null; c; c = Object.getPrototypeOf(c) as typeof c) {
    if (c.isConnector === true || c.name === "Connector") return true;
  }
  return false;
}
