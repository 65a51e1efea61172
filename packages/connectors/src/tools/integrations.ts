import type {
  Actor, ActorId, ArchiveLinkFilter, ArchiveNotesFilter, AuthProvider, AuthToken, NewContact, NewCustomEmoji,
  NewLinkWithNotes, NewNote, NewReactions, Uuid,
} from "../sdk/types.js";
import { ITool } from "../sdk/tool-shed.js";

/** The connector data plane (§3.6). Connectors only. */
export abstract class Integrations extends ITool {
  static readonly toolId = "Integrations";
  /** Flattens and de-duplicates scope lists. */
  static MergeScopes(...scopeArrays: string[][]): string[] {
    return [...new Set(scopeArrays.flat())];
  }
  abstract get(channelId: string): Promise<AuthToken | null>;
  /** @deprecated the provider is ignored */
  abstract get(provider: AuthProvider, channelId: string): Promise<AuthToken | null>;
  abstract saveLink(link: NewLinkWithNotes): Promise<Uuid | null>;
  abstract saveLinks(links: NewLinkWithNotes[]): Promise<(Uuid | null)[]>;
  abstract saveNote(note: NewNote): Promise<Uuid | null>;
  abstract saveNotes(notes: NewNote[]): Promise<(Uuid | null)[]>;
  abstract archiveNotes(filter: ArchiveNotesFilter): Promise<void>;
  abstract saveContacts(contacts: NewContact[]): Promise<Actor[]>;
  abstract archiveLinks(filter: ArchiveLinkFilter): Promise<void>;
  abstract setThreadToDo(source: string, actorId: ActorId, todo: boolean, options?: { date?: Date | string }): Promise<void>;
  abstract channelSyncCompleted(channelId: string): Promise<void>;
  abstract markNeedsReauth(channelId: string): Promise<void>;
  abstract saveCustomEmoji(emoji: NewCustomEmoji[]): Promise<void>;
  abstract setNoteReactions(thread: { id: Uuid } | { source: string }, key: string, reactions: NewReactions): Promise<void>;
}
